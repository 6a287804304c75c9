import type { OutboxEntry } from '../../delivery/outbox.js';
import type { OutgoingMessage } from '../../delivery/types.js';
import type { PhaseSummary } from '../../events.js';
import type { EngineContext } from '../../scheduler/engine.js';
import { readJson, writeDate } from '../../store/codec.js';
import type { Emit } from './emit.js';
import { anchorOf, decide, effectiveTimezone, RowStates, type Decision } from './progress.js';
import { isRecord, type EnrollmentRow } from './records.js';
import { applyPatches, completedPatch, loadStructures, type EnrollmentPatch } from './repository.js';
import type { SequenceEngineSettings } from './schemas.js';
import { nextStepAfter, SOURCE_TYPE, stepKey, type StepInfo, type Structure } from './timing.js';

/** Enrollments claimed per transaction: keeps each write transaction (and SQLite's lock) short. */
const CLAIM_BATCH = 250;

export interface SequencePhaseSummary extends PhaseSummary {
  queued: number;
  parked: number;
  completed: number;
  failed: number;
}

/**
 * `processSequenceSteps(now)`: claims due active enrollments in one UPDATE per batch (rows
 * locked with SKIP LOCKED on Postgres, the write lock on SQLite), decides each one's next
 * move and, in the same transaction, puts due steps into the outbox under the key
 * `sequence:<enrollmentId>:step:<stepId>`. An enrollment with a step in the outbox has no
 * `next_send_at`, so no other ticker can claim it until that step's outcome is recorded.
 */
export function createSequencePhase(context: EngineContext, settings: SequenceEngineSettings, emit: Emit) {
  async function claimBatch(now: Date, limit: number): Promise<{ claimed: number; summary: Counts }> {
    const counts: Counts = { queued: 0, parked: 0, completed: 0, failed: 0 };
    const events: Array<() => void> = [];
    const claimed = await context.adapter.writeTransaction(context.db, async (trx) => {
      const stamp = writeDate(now);
      // Locked, not yet written: every claimed row gets exactly one write below, its decision's
      // patch, which always clears or resets `next_send_at` (a row write less per step than
      // marking the claim first).
      const rows = await context.adapter
        .lockForClaim(
          trx
            .selectFrom('sequence_enrollments')
            .selectAll()
            .where('status', '=', 'active')
            .where('next_send_at', '<=', stamp)
            .where('pending_step_id', 'is', null)
            .orderBy('next_send_at')
            .limit(limit),
        )
        .execute();
      if (rows.length === 0) return 0;

      const structures = await loadStructures(
        trx,
        rows.map((r) => r.sequence_id),
      );
      const states = new RowStates(trx, context.outbox);
      await states.prefetch(
        rows.flatMap((row) => {
          const structure = structures.get(row.sequence_id);
          const step = structure && nextStepAfter(structure, row.current_step);
          return step ? [stepKey(row.id, step.id)] : [];
        }),
      );

      const patches = new Map<number, EnrollmentPatch>();
      const inserts: OutboxEntry[] = [];
      for (const row of rows) {
        const structure = structures.get(row.sequence_id);
        if (!structure || !structure.enabled) {
          // Held: the sequence was disabled (its enable releases the enrollment again).
          patches.set(row.id, { next_send_at: null, reschedule: 0, updated_at: now });
          continue;
        }
        const decision = await decide({
          enrollmentId: row.id,
          structure,
          anchor: anchorOf(row),
          timezone: effectiveTimezone(row, structure),
          now,
          reschedule: row.reschedule === 1,
          states,
          mayQueue: true,
        });
        const patch = patchFor(row, decision, now);
        if (decision.kind === 'queue') {
          const entry = outboxEntry(row, structure, decision.step, decision.dueAt);
          if (decision.row === 'insert') inserts.push(entry);
          else if (decision.row === 'requeue') {
            const requeued = await context.outbox.requeue(trx, {
              key: entry.idempotencyKey,
              message: entry.message,
              dueAt: decision.dueAt,
              now,
            });
            if (!requeued) {
              // Locked by a settle in progress: look again shortly rather than wait on it.
              patches.set(row.id, {
                ...patch,
                pending_step_id: null,
                next_send_at: new Date(now.getTime() + 60_000),
              });
              counts.parked += 1;
              continue;
            }
          }
          if (decision.row !== 'attach') {
            counts.queued += 1;
            events.push(() =>
              emit('sequence:step-queued', {
                ...base(row),
                stepId: decision.step.id,
                stepOrder: decision.step.order,
                idempotencyKey: entry.idempotencyKey,
                dueAt: decision.dueAt,
              }),
            );
          }
        } else if (decision.kind === 'park') {
          counts.parked += 1;
        } else if (decision.kind === 'complete') {
          counts.completed += 1;
          events.push(() => emit('sequence:completed', { ...base(row), completedAt: now, manual: false }));
        } else {
          counts.failed += 1;
          events.push(() =>
            emit('sequence:failed', {
              ...base(row),
              ...(decision.step ? { stepId: decision.step.id, stepOrder: decision.step.order } : {}),
              error: decision.error,
            }),
          );
        }
        patches.set(row.id, patch);
      }
      await context.outbox.enqueue(trx, inserts, now);
      await applyPatches(trx, patches);
      return rows.length;
    });
    for (const fire of events) fire();
    return { claimed, summary: counts };
  }

  async function run(now: Date): Promise<SequencePhaseSummary> {
    const summary: SequencePhaseSummary = {
      processed: 0,
      moreDue: false,
      queued: 0,
      parked: 0,
      completed: 0,
      failed: 0,
    };
    let budget = settings.maxEnrollmentsPerTick;
    // A read first: a tick with nothing due takes no write lock (SQLite has only one).
    if (!(await hasDue(now))) return summary;
    while (budget > 0) {
      const limit = Math.min(budget, CLAIM_BATCH);
      const { claimed, summary: counts } = await claimBatch(now, limit);
      summary.processed += claimed;
      summary.queued += counts.queued;
      summary.parked += counts.parked;
      summary.completed += counts.completed;
      summary.failed += counts.failed;
      budget -= claimed;
      if (claimed < limit) return summary;
    }
    summary.moreDue = await hasDue(now);
    return summary;
  }

  async function hasDue(now: Date): Promise<boolean> {
    const row = await context.db
      .selectFrom('sequence_enrollments')
      .select('id')
      .where('status', '=', 'active')
      .where('next_send_at', '<=', writeDate(now))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  return { name: 'sequences', run };
}

interface Counts {
  queued: number;
  parked: number;
  completed: number;
  failed: number;
}

function base(row: EnrollmentRow) {
  return { sequenceId: row.sequence_id, enrollmentId: row.id, email: row.recipient_email };
}

/** The enrollment's new state for a decision; it is the claim's only write, so it always sets `next_send_at`. */
export function patchFor(row: EnrollmentRow, decision: Decision, now: Date): EnrollmentPatch {
  const { anchor } = decision;
  const moved: EnrollmentPatch =
    anchor.currentStep !== row.current_step || anchor.lastStepId !== row.last_step_id
      ? { current_step: anchor.currentStep, last_step_id: anchor.lastStepId, last_step_at: anchor.base }
      : {};
  switch (decision.kind) {
    case 'complete':
      return { ...moved, ...completedPatch(now) };
    case 'park':
      return { ...moved, next_send_at: decision.at, pending_step_id: null, reschedule: 0, updated_at: now };
    case 'queue':
      return {
        ...moved,
        pending_step_id: decision.step.id,
        next_send_at: null,
        reschedule: 0,
        updated_at: now,
      };
    case 'fail':
      return {
        ...moved,
        status: 'failed',
        failed_at: now,
        status_reason: decision.error,
        next_send_at: null,
        pending_step_id: null,
        reschedule: 0,
        updated_at: now,
      };
  }
}

/** The message of one step for one enrollment: the step's content, the recipient's fields. */
export function outboxEntry(
  row: EnrollmentRow,
  structure: Structure,
  step: StepInfo,
  dueAt: Date,
): OutboxEntry {
  const data = row.recipient_data === null ? null : readJson<unknown>(row.recipient_data);
  const message: OutgoingMessage = {
    to: row.recipient_email,
    cc: [],
    bcc: [],
    subject: step.subject,
    templateId: step.templateId,
    recipient: {
      ...(isRecord(data) ? data : {}),
      email: row.recipient_email,
      timezone: row.timezone ?? structure.timezone,
    },
    origin: {
      type: 'sequence',
      sequenceId: row.sequence_id,
      enrollmentId: row.id,
      stepId: step.id,
      stepOrder: step.order,
    },
  };
  return {
    idempotencyKey: stepKey(row.id, step.id),
    sourceType: SOURCE_TYPE,
    sourceId: row.id,
    message,
    dueAt,
  };
}
