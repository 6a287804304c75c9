/*
 * How an enrollment moves on: which step is next, when it is due, and what the outbox
 * already knows about it. Shared by the tick phase, the delivery hook and the API, so the
 * rules live in one place:
 *
 * - the next step is the first whose order is greater than `current_step`;
 * - a next step whose outbox row says it was already sent (it was reordered after the
 *   enrollment's position, or its send finished after a pause) is passed over, never re-sent;
 * - its due time counts from `last_step_at` (the previous step's send, or the enrollment);
 * - a row cancelled or dead is queued again under its key, unless its lease still runs (a send
 *   may be in flight): then the enrollment looks again when the lease ends.
 */
import type { Kysely } from 'kysely';
import type { TickworkDatabase } from '../../store/schema.js';
import { readDate } from '../../store/codec.js';
import { isInFlight, type DeliveryState, type Outbox } from '../../delivery/outbox.js';
import type { EnrollmentRow } from './records.js';
import { nextStepAfter, plannedDueAt, stepKey, type StepInfo, type Structure } from './timing.js';

export interface Anchor {
  currentStep: number;
  lastStepId: number | null;
  /** Base of the next step's delay. */
  base: Date;
}

export type Decision =
  | { kind: 'complete'; anchor: Anchor }
  | { kind: 'park'; anchor: Anchor; at: Date; step: StepInfo }
  | { kind: 'queue'; anchor: Anchor; step: StepInfo; dueAt: Date; row: 'insert' | 'requeue' | 'attach' }
  | { kind: 'fail'; anchor: Anchor; error: string; step?: StepInfo };

/** Outbox row states by key, fetched in bulk up front and one by one after that. */
export class RowStates {
  private readonly known = new Map<string, DeliveryState | undefined>();

  constructor(
    private readonly db: Kysely<TickworkDatabase>,
    private readonly outbox: Outbox,
  ) {}

  async prefetch(keys: readonly string[]): Promise<void> {
    const missing = keys.filter((k) => !this.known.has(k));
    if (missing.length === 0) return;
    const states = await this.outbox.states(this.db, missing);
    for (const key of missing) this.known.set(key, states.get(key));
  }

  async get(key: string): Promise<DeliveryState | undefined> {
    if (!this.known.has(key)) await this.prefetch([key]);
    return this.known.get(key);
  }
}

export function anchorOf(row: EnrollmentRow): Anchor {
  return {
    currentStep: row.current_step,
    lastStepId: row.last_step_id,
    base: readDate(row.last_step_at) ?? readDate(row.enrolled_at),
  };
}

export function effectiveTimezone(row: EnrollmentRow, structure: Structure): string {
  return row.timezone ?? structure.timezone;
}

/**
 * Decides an active enrollment's next move at `now`. With `mayQueue` false (inside the
 * delivery hook) a due step is parked at its due time for the next tick's phase to queue.
 */
export async function decide(params: {
  enrollmentId: number;
  structure: Structure;
  anchor: Anchor;
  timezone: string;
  now: Date;
  reschedule: boolean;
  states: RowStates;
  mayQueue: boolean;
}): Promise<Decision> {
  const { structure, timezone, now, states } = params;
  let anchor = { ...params.anchor };
  for (let guard = 0; guard <= structure.steps.length; guard++) {
    const step = nextStepAfter(structure, anchor.currentStep);
    if (!step) return { kind: 'complete', anchor };
    const state = await states.get(stepKey(params.enrollmentId, step.id));
    if (state?.status === 'sent') {
      const sentAt = state.sentAt ?? anchor.base;
      anchor = {
        currentStep: step.order,
        lastStepId: step.id,
        base: sentAt > anchor.base ? sentAt : anchor.base,
      };
      continue;
    }
    let dueAt: Date;
    try {
      dueAt = plannedDueAt(step, anchor.base, timezone, now, params.reschedule);
    } catch (error) {
      return {
        kind: 'fail',
        anchor,
        step,
        error: `cannot compute the send time of step ${step.order}: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    if (dueAt > now || !params.mayQueue) return { kind: 'park', anchor, at: dueAt, step };
    if (!state) return { kind: 'queue', anchor, step, dueAt, row: 'insert' };
    if (state.status === 'pending' || state.status === 'retrying' || state.status === 'sending') {
      return { kind: 'queue', anchor, step, dueAt, row: 'attach' };
    }
    if (isInFlight(state, now)) return { kind: 'park', anchor, at: state.leaseExpiresAt ?? now, step };
    return { kind: 'queue', anchor, step, dueAt, row: 'requeue' };
  }
  return { kind: 'complete', anchor };
}
