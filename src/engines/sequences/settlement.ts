/*
 * The engine's reaction to settled deliveries of its steps, run inside the transaction that
 * records them (only `trx` is used). Every transition is guarded by the enrollment's state:
 * an outcome counts only while the enrollment still awaits that very step
 * (`pending_step_id`), so a late or duplicate outcome cannot advance it twice.
 */
import type { Kysely } from 'kysely';
import type { DeliveryOutcome } from '../../delivery/outbox.js';
import type { EngineContext } from '../../scheduler/engine.js';
import type { TickworkDatabase } from '../../store/schema.js';
import type { Emit } from './emit.js';
import { PendingEvents } from './emit.js';
import { patchFor } from './phase.js';
import { decide, effectiveTimezone, RowStates, type Anchor } from './progress.js';
import type { EnrollmentRow } from './records.js';
import { applyPatches, loadStructures, lockEnrollments, type EnrollmentPatch } from './repository.js';
import { nextStepAfter, stepKey, type Structure } from './timing.js';

export function createSettlement(context: EngineContext, emit: Emit) {
  /**
   * Returns the events to publish; the delivery phase runs that after its transaction
   * committed, so a rolled-back settle never reaches a listener.
   */
  async function hook(
    trx: Kysely<TickworkDatabase>,
    outcomes: readonly DeliveryOutcome[],
    now: Date,
  ): Promise<(() => void) | undefined> {
    const fires: Array<() => void> = [];
    const ours = outcomes.filter(
      (o) => o.delivery.sourceId !== null && o.delivery.message.origin?.type === 'sequence',
    );
    if (ours.length === 0) return undefined;
    const rows = await lockEnrollments(
      trx,
      ours.map((o) => o.delivery.sourceId as number),
      context.adapter.dialect,
    );
    const structures = await loadStructures(
      trx,
      [...rows.values()].map((r) => r.sequence_id),
    );
    // A failure is acted on only if the row really ended dead: a late finisher whose lease was
    // taken over reports its own failure while the newer claim may have succeeded.
    const deadKeys = ours.filter((o) => o.kind === 'dead').map((o) => o.delivery.idempotencyKey);
    const rowStates = deadKeys.length > 0 ? await context.outbox.states(trx, deadKeys) : new Map();
    const states = new RowStates(trx, context.outbox);
    // The outbox rows of the steps that follow, read in one statement rather than one per outcome.
    await states.prefetch(
      ours.flatMap((outcome) => {
        const origin = outcome.delivery.message.origin;
        const row = rows.get(outcome.delivery.sourceId as number);
        const structure = row && structures.get(row.sequence_id);
        if (origin.type !== 'sequence' || !row || !structure || outcome.kind === 'retrying') return [];
        const step = structure.steps.find((s) => s.id === origin.stepId);
        const next = nextStepAfter(structure, step ? step.order : row.current_step);
        return next ? [stepKey(row.id, next.id)] : [];
      }),
    );
    // Written at the end, one UPDATE per distinct patch (per zone and next send time, typically).
    const patches = new Map<number, EnrollmentPatch>();
    const patch = (id: number, values: EnrollmentPatch) => patches.set(id, { ...patches.get(id), ...values });

    for (const outcome of ours) {
      const { delivery } = outcome;
      const origin = delivery.message.origin;
      if (origin.type !== 'sequence') continue;
      const row = rows.get(delivery.sourceId as number);
      const structure = row && structures.get(row.sequence_id);
      if (!row || !structure) continue;
      const events = new PendingEvents(emit);
      const awaited = row.pending_step_id === origin.stepId;

      if (outcome.kind === 'retrying') {
        if (!(awaited && row.status === 'active')) {
          // Nobody waits for this step any more: do not let a retry send it later.
          await context.outbox.cancelByKey(
            trx,
            delivery.idempotencyKey,
            now,
            'enrollment no longer awaits this step',
          );
        }
        continue;
      }
      if (!awaited) continue;
      if (outcome.kind === 'dead' && rowStates.get(delivery.idempotencyKey)?.status !== 'dead') continue;

      const step = structure.steps.find((s) => s.id === origin.stepId);
      const passed: Anchor = {
        currentStep: step ? step.order : row.current_step,
        lastStepId: step ? step.id : row.last_step_id,
        base: now,
      };
      const ref = { stepId: origin.stepId, stepOrder: step?.order ?? origin.stepOrder };
      const who = { sequenceId: row.sequence_id, enrollmentId: row.id, email: row.recipient_email };

      if (outcome.kind === 'dead' && structure.onStepFailure === 'stop') {
        if (row.status === 'active') {
          patch(row.id, {
            status: 'failed',
            failed_at: now,
            status_reason: `step ${ref.stepOrder} could not be delivered: ${outcome.error}`,
            pending_step_id: null,
            next_send_at: null,
            reschedule: 0,
            updated_at: now,
          });
          events.add('sequence:failed', { ...who, ...ref, error: outcome.error });
        } else {
          // Paused or finished meanwhile: a resume of a paused enrollment queues the step again.
          patch(row.id, { pending_step_id: null, updated_at: now });
        }
      } else {
        const advanced = await advance(trx, row, structure, passed, now, states);
        patch(row.id, advanced);
        if (outcome.kind === 'sent') {
          events.add('sequence:step-sent', {
            ...who,
            ...ref,
            sentAt: now,
            nextSendAt: advanced.next_send_at ?? null,
          });
        } else {
          events.add('sequence:step-skipped', { ...who, ...ref, reason: outcome.error });
        }
        // Completion is announced after the step that led to it.
        if (advanced.status === 'completed') {
          events.add('sequence:completed', { ...who, completedAt: now, manual: false });
        }
      }
      fires.push(...events.drain());
    }
    await applyPatches(trx, patches);
    return () => {
      for (const fire of fires) fire();
    };
  }

  return { hook };
}

/**
 * Moves an enrollment past a step (sent, skipped after a dead delivery, or advanced by hand)
 * and plans what follows: the next step's time from `passed.base`, or completion. A paused,
 * held or finished enrollment only records the progress.
 */
export async function advance(
  trx: Kysely<TickworkDatabase>,
  row: EnrollmentRow,
  structure: Structure,
  passed: Anchor,
  now: Date,
  states: RowStates,
): Promise<EnrollmentPatch> {
  const recorded: EnrollmentPatch = {
    current_step: passed.currentStep,
    last_step_id: passed.lastStepId,
    last_step_at: passed.base,
    pending_step_id: null,
    updated_at: now,
  };
  if (row.status !== 'active') return recorded;
  if (!structure.enabled) return { ...recorded, next_send_at: null, reschedule: 0 };
  const decision = await decide({
    enrollmentId: row.id,
    structure,
    anchor: passed,
    timezone: effectiveTimezone(row, structure),
    now,
    reschedule: false,
    states,
    mayQueue: false,
  });
  // The patch must carry the decision's anchor (it may have passed steps sent earlier), so it is
  // computed against a row that matches no anchor.
  const unanchored = { ...row, current_step: -1, last_step_id: null };
  return { ...recorded, ...patchFor(unanchored, decision, now) };
}
