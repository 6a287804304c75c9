import type { EngineContext, TickPhase } from '../../scheduler/engine.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the engine
export interface RecurringEngineOptions {}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the engine
export interface RecurringApi {}

/** Host-registered recipient sources by name (the mailer's `api`); refined by the engine. */
export type RecipientSources = Record<string, (data: unknown) => unknown>;

export interface RecurringEngine {
  api: RecurringApi;
  phase: TickPhase;
}

export function createRecurringEngine(
  _context: EngineContext,
  _options: RecurringEngineOptions | undefined,
  _recipientSources: RecipientSources | undefined,
): RecurringEngine {
  return {
    api: {},
    phase: { name: 'recurring', run: async () => ({ processed: 0, moreDue: false }) },
  };
}
