import { parseNow } from '../../validation.js';
import type { PhaseSummary } from '../../events.js';
import type { EngineContext, TickPhase } from '../../scheduler/engine.js';
import type { Emit } from './emit.js';
import { createEnrollmentApi, type EnrollmentApi } from './enrollments-api.js';
import { createSequencePhase } from './phase.js';
import { parseSequenceEngineOptions, type SequenceEngineOptionsInput } from './schemas.js';
import { createSequenceCrudApi, type SequenceCrudApi } from './sequences-api.js';
import { createSettlement } from './settlement.js';
import { SOURCE_TYPE } from './timing.js';

/** `options.sequences` of `createScheduler`. */
export type SequenceEngineOptions = SequenceEngineOptionsInput;

/** `scheduler.sequences`: sequences and their steps, enrollments, and the tick phase. */
export interface SequenceApi extends SequenceCrudApi, EnrollmentApi {
  /**
   * The engine's tick phase, also callable on its own: queues every due step into the outbox
   * (exactly once across concurrent tickers) within `options.sequences.maxEnrollmentsPerTick`.
   */
  processSequenceSteps(now: Date): Promise<PhaseSummary>;
}

export interface SequenceEngine {
  api: SequenceApi;
  phase: TickPhase;
}

export function createSequenceEngine(
  context: EngineContext,
  options: SequenceEngineOptions | undefined,
): SequenceEngine {
  const settings = parseSequenceEngineOptions(options);
  // SequenceEvents is a part of TickworkEvents; TypeScript cannot see that through the generic key.
  const emitAny = context.events.emit as (type: string, event: unknown) => void;
  const emit: Emit = (type, event) => emitAny(type, event);
  const settlement = createSettlement(context, emit);
  context.onDeliverySettled(SOURCE_TYPE, settlement.hook);
  const phase = createSequencePhase(context, settings, emit);

  const api: SequenceApi = {
    ...createSequenceCrudApi(context, emit),
    ...createEnrollmentApi(context, emit, settings),
    async processSequenceSteps(now) {
      return phase.run(parseNow(now));
    },
  };
  return { api, phase };
}
