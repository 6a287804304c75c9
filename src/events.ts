import mittModule, { type Emitter } from 'mitt';
import type { BatchEvents } from './engines/batches/events.js';
import type { RecurringEvents } from './engines/recurring/events.js';
import type { SequenceEvents } from './engines/sequences/events.js';
import type { DeliveryStatus } from './store/schema.js';

export interface DeliveryEvent {
  idempotencyKey: string;
  sourceType: string;
  sourceId: number | null;
  to: string;
  attempt: number;
}

export interface TickSummary {
  /** The `now` the tick ran with. */
  now: Date;
  /** Per engine phase: what it did (engine-specific counts). */
  phases: Record<string, PhaseSummary>;
  delivery: DeliverySummary;
  /** True when work was left for another tick (a budget ran out): tick again at once. */
  moreDue: boolean;
}

export interface PhaseSummary {
  /** Units of work done (runs started, steps queued, batch rows enqueued...). */
  processed: number;
  /** True when the phase stopped at its budget with due work left. */
  moreDue: boolean;
  [count: string]: number | boolean;
}

export interface DeliverySummary {
  claimed: number;
  sent: number;
  retrying: number;
  dead: number;
  moreDue: boolean;
}

/** Every event the scheduler publishes, as `noun:verb`: the core's and each engine's. */
export type TickworkEvents = CoreEvents & RecurringEvents & SequenceEvents & BatchEvents;

export type CoreEvents = {
  'delivery:sent': DeliveryEvent & { result: unknown };
  'delivery:retrying': DeliveryEvent & { error: string; nextAttemptAt: Date };
  'delivery:dead': DeliveryEvent & { error: string };
  'delivery:cancelled': { idempotencyKey: string; reason: string };
  'tick:completed': TickSummary;
  /** Something went wrong outside the caller's view (a listener threw, a phase failed). */
  error: { error: unknown; context: string };
};

// mitt ships CommonJS typings with an ES module build: the default export is the factory at
// run time under ESM, and `.default` of the module object under TypeScript's CommonJS view.
const mitt = ((mittModule as unknown as { default?: unknown }).default ??
  mittModule) as unknown as typeof mittModule.default;

export type TickworkEmitter = Pick<Emitter<TickworkEvents>, 'on' | 'off'> & {
  emit<K extends keyof TickworkEvents>(type: K, event: TickworkEvents[K]): void;
};

/**
 * mitt, with one difference: a listener that throws never breaks the engine. The throw
 * is reported on `error` (and a throwing `error` listener is swallowed, to avoid a loop).
 */
export function createEmitter(): TickworkEmitter {
  const inner = mitt<TickworkEvents>();
  const emitter: TickworkEmitter = {
    on: inner.on,
    off: inner.off,
    emit(type, event) {
      const handlers = inner.all.get(type);
      if (!handlers) return;
      for (const handler of [...handlers]) {
        try {
          (handler as (e: unknown) => void)(event);
        } catch (error) {
          if (type !== 'error') emitter.emit('error', { error, context: `listener of '${String(type)}'` });
        }
      }
    },
  };
  return emitter;
}

export type { DeliveryStatus };
