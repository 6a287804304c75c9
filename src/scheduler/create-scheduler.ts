import { runDeliveryPhase, type DeliveryHook } from '../delivery/delivery-phase.js';
import {
  parseDeliveryOptions,
  parseRetryOptions,
  type DeliveryOptionsInput,
  type RetryOptionsInput,
} from '../delivery/options.js';
import { Outbox } from '../delivery/outbox.js';
import type { Transport } from '../delivery/types.js';
import { SchedulerClosedError, TickError, ValidationError } from '../errors.js';
import { createEmitter, type PhaseSummary, type TickSummary, type TickworkEmitter } from '../events.js';
import { migrateStore } from '../store/migrate.js';
import type { TickworkStore } from '../store/store.js';
import { parseNow } from '../validation.js';
import { createBatchEngine, type BatchApi, type BatchEngineOptions } from '../engines/batches/engine.js';
import {
  createRecurringEngine,
  type RecipientSources,
  type RecurringApi,
  type RecurringEngineOptions,
} from '../engines/recurring/engine.js';
import {
  createSequenceEngine,
  type SequenceApi,
  type SequenceEngineOptions,
} from '../engines/sequences/engine.js';
import { createDeliveriesApi, type DeliveriesApi } from './deliveries.js';
import type { EngineContext, TickPhase } from './engine.js';

export interface SchedulerOptions {
  delivery?: DeliveryOptionsInput;
  recurring?: RecurringEngineOptions;
  sequences?: SequenceEngineOptions;
  batches?: BatchEngineOptions;
  retry?: RetryOptionsInput;
  /**
   * The clock for calls made outside `tick` (create, update, enroll, cancel...). Default:
   * the wall clock. Tests and simulations pass a fake clock; `tick(now)` never reads it.
   */
  clock?: () => Date;
  /** Source of randomness for retry jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

export interface CreateSchedulerConfig {
  store: TickworkStore;
  transport: Transport;
  /** Named recipient sources for recurring campaigns, beside the built-in `static` and `url`. */
  recipientSources?: RecipientSources;
  options?: SchedulerOptions;
}

export interface Scheduler {
  /** Creates or upgrades tickwork's tables. Safe to call repeatedly and from several processes. */
  migrate(): Promise<void>;
  /**
   * Runs every engine phase and then the delivery phase with `now` as the only source of
   * time, doing a bounded amount of work. Safe to call from many processes at once. In one
   * process, a call made while another is running waits for it and then runs with its own
   * `now`, so no phase ever runs twice at once.
   */
  tick(now: Date): Promise<TickSummary>;
  readonly events: TickworkEmitter;
  readonly deliveries: DeliveriesApi;
  readonly recurring: RecurringApi;
  readonly sequences: SequenceApi;
  readonly batches: BatchApi;
  /**
   * Refuses further calls, waits for a running tick to finish, and closes what the store
   * opened. With `abortInFlight`, the signal of every send in flight is aborted first (a
   * transport that honours it stops early; its row is retried later with the same key).
   */
  close(options?: { abortInFlight?: boolean }): Promise<void>;
}

export function createScheduler(config: CreateSchedulerConfig): Scheduler {
  if (!config || typeof config !== 'object')
    throw ValidationError.field('', 'createScheduler needs a config object');
  const { store, transport } = config;
  if (!store || typeof store !== 'object' || !store.db || !store.adapter) {
    throw ValidationError.field('store', 'must be a store from tickwork/sqlite or tickwork/postgres');
  }
  if (!transport || typeof transport.send !== 'function') {
    throw ValidationError.field('transport', 'must be an object with a send(message, context) function');
  }
  const options = config.options ?? {};
  const delivery = parseDeliveryOptions(options.delivery);
  const retry = parseRetryOptions(options.retry);
  const clock = options.clock ?? (() => new Date());
  const random = options.random ?? Math.random;

  const events = createEmitter();
  const outbox = new Outbox(store.adapter);
  const hooks = new Map<string, DeliveryHook>();
  const shutdown = new AbortController();
  const context: EngineContext = {
    db: store.db,
    adapter: store.adapter,
    outbox,
    events,
    clock,
    shutdown: shutdown.signal,
    onDeliverySettled(sourceType, hook) {
      if (hooks.has(sourceType)) throw new Error(`a delivery hook for '${sourceType}' is already registered`);
      hooks.set(sourceType, hook);
    },
  };
  const recurring = createRecurringEngine(context, options.recurring, config.recipientSources);
  const sequences = createSequenceEngine(context, options.sequences);
  const batches = createBatchEngine(context, options.batches);
  const phases: TickPhase[] = [recurring.phase, sequences.phase, batches.phase];

  let closed = false;
  let readyPromise: Promise<void> | undefined;
  // Ticks in one process run one after another; see `tick` above.
  let tickQueue: Promise<unknown> = Promise.resolve();

  const ensureOpen = () => {
    if (closed) throw new SchedulerClosedError();
  };
  const ready = () => (readyPromise ??= store.ready());

  async function runTick(now: Date, calledAt: number): Promise<TickSummary> {
    await ready();
    const phaseSummaries: Record<string, PhaseSummary> = {};
    const failures: { phase: string; error: unknown }[] = [];
    for (const phase of phases) {
      try {
        phaseSummaries[phase.name] = await phase.run(now);
      } catch (error) {
        failures.push({ phase: phase.name, error });
        events.emit('error', { error, context: `tick phase '${phase.name}'` });
      }
    }
    let deliverySummary = { claimed: 0, sent: 0, retrying: 0, dead: 0, moreDue: false };
    try {
      deliverySummary = await runDeliveryPhase(
        {
          db: store.db,
          adapter: store.adapter,
          outbox,
          transport,
          events,
          delivery,
          retry,
          random,
          hooks,
          shutdown: shutdown.signal,
        },
        now,
        calledAt,
      );
    } catch (error) {
      failures.push({ phase: 'delivery', error });
      events.emit('error', { error, context: "tick phase 'delivery'" });
    }
    const summary: TickSummary = {
      now,
      phases: phaseSummaries,
      delivery: deliverySummary,
      moreDue: deliverySummary.moreDue || Object.values(phaseSummaries).some((p) => p.moreDue),
    };
    if (failures.length > 0) throw new TickError(failures, summary);
    events.emit('tick:completed', summary);
    return summary;
  }

  return {
    events,
    deliveries: createDeliveriesApi(context),
    recurring: recurring.api,
    sequences: sequences.api,
    batches: batches.api,

    async migrate() {
      ensureOpen();
      await ready();
      await migrateStore(store);
    },

    tick(now: Date) {
      ensureOpen();
      // Leases run from `now`; time spent from here on (queued behind an earlier tick, in the
      // engine phases) is time those leases have already lost.
      const calledAt = performance.now();
      let at: Date;
      try {
        at = parseNow(now);
      } catch (error) {
        return Promise.reject(error as Error);
      }
      const run = tickQueue.then(() => runTick(at, calledAt));
      tickQueue = run.catch(() => undefined);
      return run;
    },

    async close(closeOptions = {}) {
      if (closed) return;
      closed = true;
      if (closeOptions.abortInFlight) shutdown.abort(new SchedulerClosedError());
      await tickQueue;
      shutdown.abort(new SchedulerClosedError());
      await store.close();
    },
  };
}
