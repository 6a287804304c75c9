import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isPermanentDeliveryError, TransportTimeoutError } from '../errors.js';
import type { DeliverySummary, TickworkEmitter } from '../events.js';
import type { StoreAdapter } from '../store/adapter.js';
import type { TickworkDatabase } from '../store/schema.js';
import { retryDelayMs } from './backoff.js';
import type { DeliveryOptions, RetryOptions } from './options.js';
import type { ClaimedDelivery, DeliveryOutcome, Outbox } from './outbox.js';
import type { Transport } from './types.js';

/**
 * An engine's reaction to settled deliveries of its own rows (a sequence advancing its
 * enrollment when a step was sent), run in the same transaction that records them. It may
 * return a callback, run once that transaction has committed (to publish its events: a
 * listener must never hear of a write that was rolled back).
 */
export type DeliveryHook = (
  trx: Kysely<TickworkDatabase>,
  outcomes: readonly DeliveryOutcome[],
  now: Date,
) => Promise<void | (() => void)>;

export interface DeliveryPhaseDeps {
  db: Kysely<TickworkDatabase>;
  adapter: StoreAdapter;
  outbox: Outbox;
  transport: Transport;
  events: TickworkEmitter;
  delivery: DeliveryOptions;
  retry: RetryOptions;
  random: () => number;
  hooks: ReadonlyMap<string, DeliveryHook>;
  /** Aborted when the scheduler closes, so in-flight sends see it through their signal. */
  shutdown: AbortSignal;
}

/**
 * The delivery phase of a tick: claim due rows a wave at a time (a wave is as large as the
 * allowed concurrency, so a row is only leased when it is about to be sent and a
 * cancellation stops everything not yet in flight), send them, record the outcomes.
 */
export async function runDeliveryPhase(
  deps: DeliveryPhaseDeps,
  now: Date,
  /** `performance.now()` when the host called `tick(now)`: the engine phases and any wait for an earlier tick count too. */
  tickCalledAt: number = performance.now(),
): Promise<DeliverySummary> {
  const summary: DeliverySummary = { claimed: 0, sent: 0, retrying: 0, dead: 0, moreDue: false };
  const { leaseMs, sendTimeoutMs } = deps.delivery;
  // Real time, on purpose: every lease of this tick runs from `now` for leaseMs, and other
  // processes compare it with their own clocks. A long tick therefore stops claiming once a
  // new wave could outlive its lease (it reports moreDue; the host ticks again at once).
  const started = tickCalledAt;
  let budget = deps.delivery.maxPerTick;
  while (budget > 0 && !deps.shutdown.aborted) {
    const elapsed = Math.ceil(performance.now() - started);
    if (elapsed + sendTimeoutMs >= leaseMs) break;
    const leaseToken = randomUUID();
    const claimed = await deps.outbox.claim(deps.db, {
      now,
      limit: Math.min(budget, deps.delivery.concurrency),
      leaseMs,
      leaseToken,
    });
    if (claimed.length === 0) return summary;
    summary.claimed += claimed.length;
    budget -= claimed.length;

    const wave = startWave(deps);
    const outcomes = await Promise.all(
      claimed.map((delivery) => deliverOne(deps, wave, delivery, now)),
    ).finally(wave.dispose);
    const afterCommit = await deps.adapter.writeTransaction(deps.db, async (trx) => {
      await deps.outbox.record(trx, outcomes, { now, leaseToken });
      return runHooks(deps.hooks, trx, outcomes, now);
    });
    for (const outcome of outcomes) {
      summary[outcome.kind] += 1;
      publish(deps.events, outcome);
    }
    for (const callback of afterCommit) callback();
  }
  summary.moreDue = await deps.outbox.hasDue(deps.db, now);
  return summary;
}

/**
 * The sends of one wave start together, so one timer and one abort signal bound them all:
 * cheaper than a timer per send, and the same deadline for each.
 */
interface Wave {
  signal: AbortSignal;
  /** Rejects with TransportTimeoutError when the wave's time is up. */
  timedOut: Promise<never>;
  dispose(): void;
}

function startWave(deps: DeliveryPhaseDeps): Wave {
  const timeoutMs = deps.delivery.sendTimeoutMs;
  const controller = new AbortController();
  const onShutdown = () => controller.abort(deps.shutdown.reason);
  deps.shutdown.addEventListener('abort', onShutdown, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    // A real timer on purpose: it bounds I/O, it decides nothing about schedules.
    timer = setTimeout(() => {
      const error = new TransportTimeoutError(timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  timedOut.catch(() => undefined);
  return {
    signal: controller.signal,
    timedOut,
    dispose: () => {
      clearTimeout(timer);
      deps.shutdown.removeEventListener('abort', onShutdown);
    },
  };
}

async function deliverOne(
  deps: DeliveryPhaseDeps,
  wave: Wave,
  delivery: ClaimedDelivery,
  now: Date,
): Promise<DeliveryOutcome> {
  const { maxAttempts } = deps.retry;
  if (delivery.attempt > maxAttempts) {
    // Only reachable through lease expiry: every earlier attempt's process died mid-send.
    return { kind: 'dead', delivery, error: `lease expired on each of ${maxAttempts} attempts` };
  }
  try {
    const sending = Promise.resolve().then(() =>
      deps.transport.send(delivery.message, {
        idempotencyKey: delivery.idempotencyKey,
        attempt: delivery.attempt,
        signal: wave.signal,
      }),
    );
    const result = await Promise.race([sending, wave.timedOut]);
    return { kind: 'sent', delivery, result: toJsonSafe(result) };
  } catch (error) {
    const message = describeError(error);
    if (isPermanentDeliveryError(error) || delivery.attempt >= maxAttempts) {
      return { kind: 'dead', delivery, error: message };
    }
    const delay = retryDelayMs(delivery.attempt, deps.retry, deps.random);
    return { kind: 'retrying', delivery, error: message, nextAttemptAt: new Date(now.getTime() + delay) };
  }
}

async function runHooks(
  hooks: ReadonlyMap<string, DeliveryHook>,
  trx: Kysely<TickworkDatabase>,
  outcomes: readonly DeliveryOutcome[],
  now: Date,
): Promise<Array<() => void>> {
  const callbacks: Array<() => void> = [];
  if (hooks.size === 0) return callbacks;
  const bySource = new Map<string, DeliveryOutcome[]>();
  for (const outcome of outcomes) {
    const list = bySource.get(outcome.delivery.sourceType);
    if (list) list.push(outcome);
    else bySource.set(outcome.delivery.sourceType, [outcome]);
  }
  for (const [sourceType, list] of bySource) {
    const hook = hooks.get(sourceType);
    const callback = hook ? await hook(trx, list, now) : undefined;
    if (callback) callbacks.push(callback);
  }
  return callbacks;
}

function publish(events: TickworkEmitter, outcome: DeliveryOutcome): void {
  const { delivery } = outcome;
  const base = {
    idempotencyKey: delivery.idempotencyKey,
    sourceType: delivery.sourceType,
    sourceId: delivery.sourceId,
    to: delivery.recipientEmail,
    attempt: delivery.attempt,
  };
  if (outcome.kind === 'sent') events.emit('delivery:sent', { ...base, result: outcome.result });
  else if (outcome.kind === 'retrying')
    events.emit('delivery:retrying', { ...base, error: outcome.error, nextAttemptAt: outcome.nextAttemptAt });
  else events.emit('delivery:dead', { ...base, error: outcome.error });
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/** The transport's result is stored as JSON; anything that does not survive JSON is dropped to keep the row writable. */
function toJsonSafe(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}
