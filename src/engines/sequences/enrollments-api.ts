import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import type { EngineContext } from '../../scheduler/engine.js';
import { readBool, writeDate, writeJson } from '../../store/codec.js';
import type { TickworkDatabase } from '../../store/schema.js';
import { inspectInput, parseInput } from '../../validation.js';
import type { Emit, PendingEvents } from './emit.js';
import { anchorOf, effectiveTimezone, RowStates, type Anchor } from './progress.js';
import { toEnrollment, type EnrollmentRow, type SequenceEnrollment } from './records.js';
import {
  completedPatch,
  getSequenceRow,
  loadStructures,
  lockEnrollment,
  lockSequence,
  loadSteps,
  updateEnrollment,
} from './repository.js';
import {
  bulkRecipientSchema,
  cancelReasonSchema,
  enrollmentActionSchema,
  enrollRecipientSchema,
  listEnrollmentsSchema,
  normaliseEmail,
  parseId,
  type EnrollmentActionInput,
  type ListEnrollmentsQuery,
  type RecipientData,
  type SequenceEngineSettings,
} from './schemas.js';
import { advance } from './settlement.js';
import { nextStepAfter, plannedDueAt, SOURCE_TYPE, stepDueAt, toStructure } from './timing.js';
import { writeAndEmit } from './transaction.js';
import type { Page } from './sequences-api.js';

type Db = Kysely<TickworkDatabase>;

const INSERT_CHUNK = 1000;

export interface EnrollResult {
  enrollment: SequenceEnrollment;
  /** False when the address was already enrolled (the existing enrollment is returned unchanged). */
  created: boolean;
}

export interface BulkEnrollResult {
  /** New enrollments. */
  enrolled: number;
  /** Addresses already enrolled in the sequence, or repeated within the call. */
  alreadyEnrolled: number;
  /** Items not enrolled, with the position in the input and why. */
  invalid: Array<{ index: number; email: string; reason: string }>;
}

export interface EnrollmentApi {
  /**
   * Enrolls one address (idempotent per sequence and normalised address). The first step's
   * time is computed now from the enrollment instant in `data.timezone`, else the sequence's zone.
   */
  enrollRecipient(
    sequenceId: number | string,
    email: string,
    data?: RecipientData | null,
  ): Promise<EnrollResult>;
  /** Enrolls many in one transaction; bad items are reported, not thrown. */
  enrollRecipients(sequenceId: number | string, recipients: readonly unknown[]): Promise<BulkEnrollResult>;
  listEnrollments(
    sequenceId: number | string,
    query?: ListEnrollmentsQuery,
  ): Promise<Page<SequenceEnrollment>>;
  getEnrollment(id: number | string): Promise<SequenceEnrollment>;
  /** Stops sending at once: a queued step is cancelled before this returns (a send already in flight may finish). */
  pauseEnrollment(id: number | string): Promise<SequenceEnrollment>;
  /** Resumes a paused (or failed) enrollment; an overdue step goes at its next allowed time, not in a burst. */
  resumeEnrollment(id: number | string): Promise<SequenceEnrollment>;
  cancelEnrollment(id: number | string, reason?: string): Promise<SequenceEnrollment>;
  /** Marks it completed now; nothing more is sent. */
  completeEnrollment(id: number | string): Promise<SequenceEnrollment>;
  /** Passes over the step the enrollment waits for (cancelling it if queued); the next counts from now. */
  advanceStep(id: number | string): Promise<SequenceEnrollment>;
  /** One entry point for `PUT /sequences/:id/enrollments/:enrollmentId` with `{ action, reason? }`. */
  updateEnrollment(
    sequenceId: number | string,
    enrollmentId: number | string,
    input: EnrollmentActionInput,
  ): Promise<SequenceEnrollment>;
}

interface ValidRecipient {
  index: number;
  email: string;
  data: Record<string, unknown>;
}

export function createEnrollmentApi(
  context: EngineContext,
  emit: Emit,
  settings: SequenceEngineSettings,
): EnrollmentApi {
  const write = <T>(fn: (trx: Db, events: PendingEvents) => Promise<T>) => writeAndEmit(context, emit, fn);

  async function readEnrollment(db: Db, id: number): Promise<SequenceEnrollment> {
    const row = await db
      .selectFrom('sequence_enrollments')
      .innerJoin('sequences', 'sequences.id', 'sequence_enrollments.sequence_id')
      .selectAll('sequence_enrollments')
      .select('sequences.timezone as sequence_timezone')
      .where('sequence_enrollments.id', '=', id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('enrollment', id);
    const { sequence_timezone, ...enrollment } = row;
    return toEnrollment(enrollment, sequence_timezone);
  }

  /** Inserts new enrollments (existing addresses are left alone) and returns the new rows. */
  async function enrollMany(sequenceId: number, recipients: readonly ValidRecipient[], now: Date) {
    return write(async (trx, events) => {
      const sequence = await lockSequence(trx, sequenceId);
      if (!sequence) throw new NotFoundError('sequence', sequenceId);
      const structure = toStructure(sequence, await loadSteps(trx, sequenceId));
      const first = structure.steps[0];
      if (!first) throw new ConflictError(`sequence ${sequenceId} has no steps: add a step before enrolling`);
      const enabled = readBool(sequence.enabled);
      const dueByZone = new Map<string, string>();
      const dueIn = (zone: string) => {
        let due = dueByZone.get(zone);
        if (due === undefined) {
          due = writeDate(stepDueAt(first, now, zone));
          dueByZone.set(zone, due);
        }
        return due;
      };
      const stamp = writeDate(now);
      const created: EnrollmentRow[] = [];
      for (let start = 0; start < recipients.length; start += INSERT_CHUNK) {
        const rows = recipients.slice(start, start + INSERT_CHUNK).map((r) => {
          const own = typeof r.data.timezone === 'string' ? r.data.timezone : null;
          return {
            sequence_id: sequenceId,
            recipient_email: r.email,
            recipient_data: writeJson(r.data),
            timezone: own,
            current_step: 0,
            status: 'active',
            enrolled_at: stamp,
            next_send_at: enabled ? dueIn(own ?? sequence.timezone) : null,
            reschedule: 0,
            updated_at: stamp,
          };
        });
        const inserted = await trx
          .insertInto('sequence_enrollments')
          .values(rows)
          .onConflict((oc) => oc.columns(['sequence_id', 'recipient_email']).doNothing())
          .returningAll()
          .execute();
        created.push(...inserted);
      }
      for (const row of created) {
        events.add('sequence:enrolled', {
          sequenceId,
          enrollmentId: row.id,
          email: row.recipient_email,
          nextSendAt: row.next_send_at === null ? null : new Date(row.next_send_at),
        });
      }
      return { created, sequenceTimezone: sequence.timezone };
    });
  }

  type Action = 'pause' | 'resume' | 'cancel' | 'complete' | 'advance';

  /**
   * Every state change of one enrollment: queued steps are cancelled before the row is locked
   * and again after (a ticker may have queued one in between), all in one transaction, so
   * nothing new reaches the transport once the call returns.
   */
  async function transition(
    idInput: number | string,
    action: Action,
    options: { reason?: string; sequenceId?: number } = {},
  ): Promise<SequenceEnrollment> {
    const id = parseId(idInput, options.sequenceId === undefined ? 'id' : 'enrollmentId');
    const now = context.clock();
    const stops = action !== 'resume';
    const cancelReason = {
      pause: 'enrollment paused',
      cancel: `enrollment cancelled: ${options.reason ?? 'cancelled'}`,
      complete: 'enrollment completed',
      advance: 'step skipped by advanceStep',
      resume: '',
    }[action];
    await write(async (trx, events) => {
      if (stops) await context.outbox.cancelBySource(trx, SOURCE_TYPE, [id], now, cancelReason);
      const row = await lockEnrollment(trx, id);
      if (!row || (options.sequenceId !== undefined && row.sequence_id !== options.sequenceId)) {
        throw new NotFoundError('enrollment', id);
      }
      const who = { sequenceId: row.sequence_id, enrollmentId: row.id, email: row.recipient_email };
      const changed = await apply(trx, row, action, now, options.reason, events, who);
      if (changed && stops) await context.outbox.cancelBySource(trx, SOURCE_TYPE, [id], now, cancelReason);
    });
    return readEnrollment(context.db, id);
  }

  async function apply(
    trx: Db,
    row: EnrollmentRow,
    action: Action,
    now: Date,
    reason: string | undefined,
    events: PendingEvents,
    who: { sequenceId: number; enrollmentId: number; email: string },
  ): Promise<boolean> {
    const status = row.status;
    const refuse = (allowed: string): never => {
      throw new ConflictError(
        `enrollment ${row.id} is ${status}; only ${allowed} enrollment can be ${pastTense[action]}`,
      );
    };
    switch (action) {
      case 'pause': {
        if (status === 'paused') return false;
        if (status !== 'active') refuse('an active');
        // pending_step_id stays: a send in flight that finishes still records its progress.
        await updateEnrollment(trx, row.id, {
          status: 'paused',
          paused_at: now,
          next_send_at: null,
          reschedule: 0,
          updated_at: now,
        });
        events.add('sequence:paused', { ...who, pausedAt: now });
        return true;
      }
      case 'resume': {
        if (status === 'active') return false;
        if (status !== 'paused' && status !== 'failed') refuse('a paused or failed');
        const structure = (await loadStructures(trx, [row.sequence_id])).get(row.sequence_id);
        if (!structure) throw new NotFoundError('sequence', row.sequence_id);
        let nextSendAt: Date | null = null;
        if (structure.enabled) {
          const anchor: Anchor = anchorOf(row);
          const step = nextStepAfter(structure, anchor.currentStep);
          // With no step left the next tick completes it.
          nextSendAt = step
            ? plannedDueAt(step, anchor.base, effectiveTimezone(row, structure), now, true)
            : now;
        }
        await updateEnrollment(trx, row.id, {
          status: 'active',
          paused_at: null,
          failed_at: null,
          status_reason: null,
          pending_step_id: null,
          next_send_at: nextSendAt,
          reschedule: 0,
          updated_at: now,
        });
        events.add('sequence:resumed', { ...who, nextSendAt });
        return true;
      }
      case 'cancel': {
        if (status === 'cancelled') return false;
        if (status === 'completed') refuse('an unfinished');
        const why = reason ?? 'cancelled';
        await updateEnrollment(trx, row.id, {
          status: 'cancelled',
          cancelled_at: now,
          status_reason: why,
          next_send_at: null,
          reschedule: 0,
          updated_at: now,
        });
        events.add('sequence:cancelled', { ...who, reason: why });
        return true;
      }
      case 'complete': {
        if (status === 'completed') return false;
        if (status === 'cancelled') refuse('an uncancelled');
        await updateEnrollment(trx, row.id, {
          status: 'completed',
          completed_at: now,
          next_send_at: null,
          reschedule: 0,
          updated_at: now,
        });
        events.add('sequence:completed', { ...who, completedAt: now, manual: true });
        return true;
      }
      case 'advance': {
        if (status !== 'active' && status !== 'paused') refuse('an active or paused');
        const structure = (await loadStructures(trx, [row.sequence_id])).get(row.sequence_id);
        if (!structure) throw new NotFoundError('sequence', row.sequence_id);
        const step =
          structure.steps.find((s) => s.id === row.pending_step_id) ??
          nextStepAfter(structure, row.current_step);
        if (!step) {
          if (status === 'paused')
            throw new ConflictError(`enrollment ${row.id} has no step left to advance past`);
          await updateEnrollment(trx, row.id, completedPatch(now));
          events.add('sequence:completed', { ...who, completedAt: now, manual: true });
          return true;
        }
        const patch = await advance(
          trx,
          row,
          structure,
          { currentStep: step.order, lastStepId: step.id, base: now },
          now,
          new RowStates(trx, context.outbox),
        );
        await updateEnrollment(trx, row.id, patch);
        events.add('sequence:step-skipped', {
          ...who,
          stepId: step.id,
          stepOrder: step.order,
          reason: 'advanced by advanceStep',
        });
        if (patch.status === 'completed') {
          events.add('sequence:completed', { ...who, completedAt: now, manual: false });
        }
        return true;
      }
    }
  }

  return {
    async enrollRecipient(sequenceIdInput, email, data) {
      const sequenceId = parseId(sequenceIdInput);
      const parsed = parseInput(enrollRecipientSchema, data === undefined ? { email } : { email, data });
      const now = context.clock();
      const { created } = await enrollMany(
        sequenceId,
        [{ index: 0, email: parsed.email, data: parsed.data ?? {} }],
        now,
      );
      const row = created[0];
      if (row) return { enrollment: await readEnrollment(context.db, row.id), created: true };
      const existing = await context.db
        .selectFrom('sequence_enrollments')
        .select('id')
        .where('sequence_id', '=', sequenceId)
        .where('recipient_email', '=', parsed.email)
        .executeTakeFirstOrThrow();
      return { enrollment: await readEnrollment(context.db, existing.id), created: false };
    },

    async enrollRecipients(sequenceIdInput, recipients) {
      const sequenceId = parseId(sequenceIdInput);
      if (!Array.isArray(recipients))
        throw ValidationError.field('recipients', 'must be an array of recipients');
      if (recipients.length > settings.maxBulkEnrollment) {
        throw ValidationError.field(
          'recipients',
          `at most ${settings.maxBulkEnrollment} recipients per call (options.sequences.maxBulkEnrollment), got ${recipients.length}`,
        );
      }
      const invalid: BulkEnrollResult['invalid'] = [];
      const valid: ValidRecipient[] = [];
      const seen = new Set<string>();
      let repeated = 0;
      recipients.forEach((item, index) => {
        const parsed = inspectInput(bulkRecipientSchema, item);
        if (!parsed.success) {
          const issue = parsed.issues[0];
          const path = issue?.path ?? '';
          invalid.push({
            index,
            email: rawEmail(item),
            reason: path ? `${path}: ${issue?.message ?? 'invalid'}` : (issue?.message ?? 'invalid'),
          });
          return;
        }
        if (seen.has(parsed.data.email)) {
          repeated += 1;
          return;
        }
        seen.add(parsed.data.email);
        valid.push({ index, email: parsed.data.email, data: parsed.data.data });
      });
      if (valid.length === 0) return { enrolled: 0, alreadyEnrolled: repeated, invalid };
      const { created } = await enrollMany(sequenceId, valid, context.clock());
      return { enrolled: created.length, alreadyEnrolled: valid.length - created.length + repeated, invalid };
    },

    async listEnrollments(sequenceIdInput, query = {}) {
      const sequenceId = parseId(sequenceIdInput);
      const { limit, offset, status, email } = parseInput(listEnrollmentsSchema, query);
      const sequence = await getSequenceRow(context.db, sequenceId);
      if (!sequence) throw new NotFoundError('sequence', sequenceId);
      let base = context.db.selectFrom('sequence_enrollments').where('sequence_id', '=', sequenceId);
      if (status) base = base.where('status', '=', status);
      if (email) base = base.where('recipient_email', '=', normaliseEmail(email));
      const rows = await base.selectAll().orderBy('id').limit(limit).offset(offset).execute();
      const total = await base
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      return {
        items: rows.map((row) => toEnrollment(row, sequence.timezone)),
        total: Number(total.n),
        limit,
        offset,
      };
    },

    async getEnrollment(idInput) {
      return readEnrollment(context.db, parseId(idInput));
    },

    pauseEnrollment: (id) => transition(id, 'pause'),
    resumeEnrollment: (id) => transition(id, 'resume'),
    async cancelEnrollment(id, reason) {
      if (reason === undefined) return transition(id, 'cancel');
      return transition(id, 'cancel', { reason: parseInput(cancelReasonSchema, reason, 'reason') });
    },
    completeEnrollment: (id) => transition(id, 'complete'),
    advanceStep: (id) => transition(id, 'advance'),

    async updateEnrollment(sequenceIdInput, enrollmentId, input) {
      const sequenceId = parseId(sequenceIdInput);
      const { action, reason } = parseInput(enrollmentActionSchema, input);
      return transition(enrollmentId, action, { reason, sequenceId });
    },
  };
}

const pastTense = {
  pause: 'paused',
  resume: 'resumed',
  cancel: 'cancelled',
  complete: 'completed',
  advance: 'advanced',
} as const;

function rawEmail(item: unknown): string {
  if (typeof item === 'object' && item !== null && 'email' in item) {
    const email = (item as { email: unknown }).email;
    return typeof email === 'string' ? email : '';
  }
  return '';
}
