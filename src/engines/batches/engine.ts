import type { EngineContext, TickPhase } from '../../scheduler/engine.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the engine
export interface BatchEngineOptions {}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the engine
export interface BatchApi {}

export interface BatchEngine {
  api: BatchApi;
  phase: TickPhase;
}

export function createBatchEngine(
  _context: EngineContext,
  _options: BatchEngineOptions | undefined,
): BatchEngine {
  return {
    api: {},
    phase: { name: 'batches', run: async () => ({ processed: 0, moreDue: false }) },
  };
}
