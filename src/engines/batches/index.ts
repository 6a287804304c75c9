export type { BatchApi, BatchEngineOptions } from './engine.js';
export type { BatchEvents } from './events.js';
