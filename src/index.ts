export { createScheduler } from './scheduler/create-scheduler.js';
export type { CreateSchedulerConfig, Scheduler, SchedulerOptions } from './scheduler/create-scheduler.js';
export type { DeliveriesApi, DeliveryListFilter, DirectDeliveryInput } from './scheduler/deliveries.js';
export type { DeliveryRecord } from './delivery/outbox.js';
export type {
  DeliveryOptionsInput as DeliveryOptions,
  RetryOptionsInput as RetryOptions,
} from './delivery/options.js';
export type {
  DeliveryStatus,
  MessageOrigin,
  OutgoingMessage,
  Recipient,
  SendContext,
  Transport,
} from './delivery/types.js';
export type {
  DeliveryEvent,
  DeliverySummary,
  PhaseSummary,
  TickSummary,
  TickworkEmitter,
  TickworkEvents,
} from './events.js';
export type { TickworkStore } from './store/store.js';
export type { StoreAdapter } from './store/adapter.js';
export type { CoreTables, OutboxTable, TickworkDatabase } from './store/schema.js';
export type { CoreEvents } from './events.js';
export * from './errors.js';
export * from './time/index.js';
export * from './engines/recurring/index.js';
export * from './engines/sequences/index.js';
export * from './engines/batches/index.js';
