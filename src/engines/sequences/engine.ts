import type { EngineContext, TickPhase } from '../../scheduler/engine.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the engine
export interface SequenceEngineOptions {}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the engine
export interface SequenceApi {}

export interface SequenceEngine {
  api: SequenceApi;
  phase: TickPhase;
}

export function createSequenceEngine(
  _context: EngineContext,
  _options: SequenceEngineOptions | undefined,
): SequenceEngine {
  return {
    api: {},
    phase: { name: 'sequences', run: async () => ({ processed: 0, moreDue: false }) },
  };
}
