import type { Kysely } from 'kysely';
import type { DeliveryHook } from '../delivery/delivery-phase.js';
import type { Outbox } from '../delivery/outbox.js';
import type { PhaseSummary, TickworkEmitter } from '../events.js';
import type { StoreAdapter } from '../store/adapter.js';
import type { TickworkDatabase } from '../store/schema.js';

/** What every engine is built from: storage, the outbox, events and the clock; never HTTP. */
export interface EngineContext {
  readonly db: Kysely<TickworkDatabase>;
  readonly adapter: StoreAdapter;
  readonly outbox: Outbox;
  readonly events: TickworkEmitter;
  /** The injected clock for calls outside a tick (create, update, cancel...). */
  readonly clock: () => Date;
  /**
   * Aborted when the scheduler closes (at once with `close({ abortInFlight: true })`, else
   * after the running tick): engines pass it to slow I/O of their own, like recipient sources.
   */
  readonly shutdown: AbortSignal;
  /** Registers the engine's reaction to settled deliveries of its own source type. */
  onDeliverySettled(sourceType: string, hook: DeliveryHook): void;
}

/** One phase of `tick(now)`: does a bounded amount of due work and says whether more is due. */
export interface TickPhase {
  readonly name: string;
  run(now: Date): Promise<PhaseSummary>;
}
