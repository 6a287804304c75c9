export type { SequenceApi, SequenceEngineOptions } from './engine.js';
export type { SequenceEvents } from './events.js';
