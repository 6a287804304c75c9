export type { RecipientSources, RecurringApi, RecurringEngineOptions } from './engine.js';
export type { RecurringEvents } from './events.js';
