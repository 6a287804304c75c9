import { sql, type Kysely } from 'kysely';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import type { EngineContext } from '../../scheduler/engine.js';
import { writeBool, writeDate } from '../../store/codec.js';
import type { TickworkDatabase } from '../../store/schema.js';
import { parseInput } from '../../validation.js';
import type { Emit } from './emit.js';
import { toSequence, toStep, type Sequence, type SequenceStep, type SequenceView } from './records.js';
import {
  assignOrders,
  countEnrollments,
  enrollmentsWithPendingStep,
  flagForRecompute,
  getSequenceRow,
  loadSteps,
  lockSequence,
  lockSequenceEnrollments,
  repointAnchors,
  resyncProgress,
} from './repository.js';
import {
  listSequencesSchema,
  MAX_STEPS_PER_SEQUENCE,
  parseId,
  reorderStepsSchema,
  sequenceCreateSchema,
  sequenceUpdateSchema,
  stepInputSchema,
  stepUpdateSchema,
  type ListSequencesQuery,
  type SequenceCreateInput,
  type SequenceUpdateInput,
  type StepInput,
  type StepUpdateInput,
} from './schemas.js';
import { SOURCE_TYPE } from './timing.js';
import { writeAndEmit } from './transaction.js';

type Db = Kysely<TickworkDatabase>;

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface SequenceCrudApi {
  /** Creates a sequence, optionally with its steps (in order). */
  create(input: SequenceCreateInput): Promise<SequenceView>;
  /** The sequence with its steps in order and its enrollments counted per status. */
  get(id: number | string): Promise<SequenceView>;
  list(query?: ListSequencesQuery): Promise<Page<Sequence>>;
  /**
   * Changes settings. Disabling holds every active enrollment at once (queued steps are
   * cancelled); enabling releases them, overdue steps going at their next allowed time. A new
   * timezone reschedules waiting enrollments that have no zone of their own.
   */
  update(id: number | string, input: SequenceUpdateInput): Promise<SequenceView>;
  /** Deletes the sequence, its steps and enrollments; their queued steps are cancelled. */
  delete(id: number | string): Promise<void>;
  /** Inserts a step at `stepOrder` (default: appended); later steps move down one place. */
  addStep(sequenceId: number | string, input: StepInput): Promise<SequenceStep>;
  /** Edits a step; a new `stepOrder` moves it. Timing changes reschedule enrollments waiting on it. */
  updateStep(
    sequenceId: number | string,
    stepId: number | string,
    input: StepUpdateInput,
  ): Promise<SequenceStep>;
  /** Deletes a step; enrollments waiting on it (or with it queued) go on with the step after it. */
  deleteStep(sequenceId: number | string, stepId: number | string): Promise<void>;
  /** Puts the steps in this order (every step id exactly once). */
  reorderSteps(sequenceId: number | string, stepIds: ReadonlyArray<number | string>): Promise<SequenceStep[]>;
}

export function createSequenceCrudApi(context: EngineContext, emit: Emit): SequenceCrudApi {
  const write = <T>(fn: (trx: Db) => Promise<T>) => writeAndEmit(context, emit, (trx) => fn(trx));

  async function view(db: Db, id: number): Promise<SequenceView> {
    const row = await getSequenceRow(db, id);
    if (!row) throw new NotFoundError('sequence', id);
    const steps = await loadSteps(db, id);
    return { ...toSequence(row), steps: steps.map(toStep), enrollmentCounts: await countEnrollments(db, id) };
  }

  async function lockOrThrow(trx: Db, id: number) {
    const row = await lockSequence(trx, id);
    if (!row) throw new NotFoundError('sequence', id);
    return row;
  }

  /** Cancels the queued steps of enrollments, before and after locking them (see repository.ts). */
  async function cancelQueued(
    trx: Db,
    sequenceId: number,
    now: Date,
    reason: string,
    filter: { stepId?: number; activeOnly?: boolean },
    lockAll: () => Promise<void>,
  ): Promise<number[]> {
    const before = await enrollmentsWithPendingStep(trx, sequenceId, filter);
    await context.outbox.cancelBySource(trx, SOURCE_TYPE, before, now, reason);
    await lockAll();
    const after = await enrollmentsWithPendingStep(trx, sequenceId, filter);
    await context.outbox.cancelBySource(trx, SOURCE_TYPE, after, now, reason);
    return after;
  }

  /** Disabling: nothing of the sequence is claimable or in the outbox afterwards. */
  async function hold(trx: Db, sequenceId: number, now: Date): Promise<void> {
    const queued = await cancelQueued(trx, sequenceId, now, 'sequence disabled', { activeOnly: true }, () =>
      trx
        .updateTable('sequence_enrollments')
        .set({ next_send_at: null, reschedule: 0, updated_at: writeDate(now) })
        .where('sequence_id', '=', sequenceId)
        .where('status', '=', 'active')
        .execute()
        .then(() => undefined),
    );
    if (queued.length > 0) {
      await trx
        .updateTable('sequence_enrollments')
        .set({ pending_step_id: null })
        .where('id', 'in', queued)
        .execute();
    }
  }

  /** Enabling: every active enrollment is looked at by the next tick, with the resume rule. */
  async function release(trx: Db, sequenceId: number, now: Date): Promise<void> {
    await trx
      .updateTable('sequence_enrollments')
      .set({ next_send_at: writeDate(now), reschedule: 1, pending_step_id: null, updated_at: writeDate(now) })
      .where('sequence_id', '=', sequenceId)
      .where('status', '=', 'active')
      .execute();
  }

  async function insertSteps(
    trx: Db,
    sequenceId: number,
    steps: ReadonlyArray<StepFields>,
    firstOrder: number,
    now: Date,
  ) {
    if (steps.length === 0) return [];
    return trx
      .insertInto('sequence_steps')
      .values(
        steps.map((step, index) => ({
          sequence_id: sequenceId,
          step_order: firstOrder + index,
          template_id: step.templateId,
          subject: step.subject,
          delay_days: step.delayDays,
          delay_hours: step.delayHours,
          send_time: step.sendTime,
          created_at: writeDate(now),
          updated_at: writeDate(now),
        })),
      )
      .returningAll()
      .execute();
  }

  async function loadStepOrThrow(trx: Db, sequenceId: number, stepId: number) {
    const steps = await loadSteps(trx, sequenceId);
    const index = steps.findIndex((s) => s.id === stepId);
    const step = steps[index];
    if (!step) throw new NotFoundError('step', stepId);
    return { steps, step, position: index + 1 };
  }

  return {
    async create(input) {
      const parsed = parseInput(sequenceCreateSchema, input);
      const now = context.clock();
      const id = await write(async (trx) => {
        const row = await trx
          .insertInto('sequences')
          .values({
            name: parsed.name,
            description: parsed.description,
            enabled: writeBool(parsed.enabled),
            timezone: parsed.timezone,
            on_step_failure: parsed.onStepFailure,
            created_at: writeDate(now),
            updated_at: writeDate(now),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await insertSteps(trx, row.id, parsed.steps, 1, now);
        return row.id;
      });
      return view(context.db, id);
    },

    async get(idInput) {
      return view(context.db, parseId(idInput));
    },

    async list(query = {}) {
      const { limit, offset, enabled } = parseInput(listSequencesSchema, query);
      let base = context.db.selectFrom('sequences');
      if (enabled !== undefined) base = base.where('enabled', '=', writeBool(enabled));
      const rows = await base.selectAll().orderBy('id').limit(limit).offset(offset).execute();
      const total = await base
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      return { items: rows.map(toSequence), total: Number(total.n), limit, offset };
    },

    async update(idInput, input) {
      const id = parseId(idInput);
      const parsed = parseInput(sequenceUpdateSchema, input);
      const now = context.clock();
      await write(async (trx) => {
        const current = await lockOrThrow(trx, id);
        const wasEnabled = current.enabled === true || current.enabled === 1;
        const enabled = parsed.enabled ?? wasEnabled;
        if (wasEnabled && !enabled) await hold(trx, id, now);
        await trx
          .updateTable('sequences')
          .set({
            ...(parsed.name !== undefined ? { name: parsed.name } : {}),
            ...(parsed.description !== undefined ? { description: parsed.description } : {}),
            ...(parsed.enabled !== undefined ? { enabled: writeBool(parsed.enabled) } : {}),
            ...(parsed.timezone !== undefined ? { timezone: parsed.timezone } : {}),
            ...(parsed.onStepFailure !== undefined ? { on_step_failure: parsed.onStepFailure } : {}),
            updated_at: writeDate(now),
          })
          .where('id', '=', id)
          .execute();
        if (!wasEnabled && enabled) await release(trx, id, now);
        else if (enabled && parsed.timezone !== undefined && parsed.timezone !== current.timezone) {
          await flagForRecompute(trx, id, now, { withoutOwnTimezone: true });
        }
      });
      return view(context.db, id);
    },

    async delete(idInput) {
      const id = parseId(idInput);
      const now = context.clock();
      await write(async (trx) => {
        await lockOrThrow(trx, id);
        await cancelQueued(trx, id, now, 'sequence deleted', {}, () => lockSequenceEnrollments(trx, id));
        await trx.deleteFrom('sequence_enrollments').where('sequence_id', '=', id).execute();
        await trx.deleteFrom('sequence_steps').where('sequence_id', '=', id).execute();
        await trx.deleteFrom('sequences').where('id', '=', id).execute();
      });
    },

    async addStep(sequenceIdInput, input) {
      const sequenceId = parseId(sequenceIdInput);
      const parsed = parseInput(stepInputSchema, input);
      const now = context.clock();
      return write(async (trx) => {
        const sequence = await lockOrThrow(trx, sequenceId);
        const steps = await loadSteps(trx, sequenceId);
        if (steps.length >= MAX_STEPS_PER_SEQUENCE) {
          throw new ConflictError(
            `sequence ${sequenceId} already has ${MAX_STEPS_PER_SEQUENCE} steps, the most allowed`,
          );
        }
        const position = parsed.stepOrder ?? steps.length + 1;
        if (position > steps.length + 1) {
          throw ValidationError.field(
            'stepOrder',
            `must be between 1 and ${steps.length + 1} (the sequence has ${steps.length} steps)`,
          );
        }
        const last = steps.at(-1)?.step_order ?? 0;
        const [created] = await insertSteps(trx, sequenceId, [parsed], Math.max(last, steps.length) + 1, now);
        if (!created) throw new Error('step insert returned nothing');
        const ordered = steps.map((s) => s.id);
        ordered.splice(position - 1, 0, created.id);
        await assignOrders(trx, sequenceId, ordered);
        await resyncProgress(trx, sequenceId);
        if (isEnabled(sequence.enabled))
          await flagForRecompute(trx, sequenceId, now, { currentSteps: [position - 1] });
        return toStep({ ...created, step_order: position });
      });
    },

    async updateStep(sequenceIdInput, stepIdInput, input) {
      const sequenceId = parseId(sequenceIdInput);
      const stepId = parseId(stepIdInput, 'stepId');
      const parsed = parseInput(stepUpdateSchema, input);
      const now = context.clock();
      return write(async (trx) => {
        const sequence = await lockOrThrow(trx, sequenceId);
        const { steps, step, position } = await loadStepOrThrow(trx, sequenceId, stepId);
        if (parsed.stepOrder !== undefined && parsed.stepOrder > steps.length) {
          throw ValidationError.field(
            'stepOrder',
            `must be between 1 and ${steps.length} (the sequence has ${steps.length} steps)`,
          );
        }
        const timingChanged =
          (parsed.delayDays !== undefined && parsed.delayDays !== step.delay_days) ||
          (parsed.delayHours !== undefined && parsed.delayHours !== step.delay_hours) ||
          (parsed.sendTime !== undefined && parsed.sendTime !== step.send_time);
        const updated = await trx
          .updateTable('sequence_steps')
          .set({
            ...(parsed.templateId !== undefined ? { template_id: parsed.templateId } : {}),
            ...(parsed.subject !== undefined ? { subject: parsed.subject } : {}),
            ...(parsed.delayDays !== undefined ? { delay_days: parsed.delayDays } : {}),
            ...(parsed.delayHours !== undefined ? { delay_hours: parsed.delayHours } : {}),
            ...(parsed.sendTime !== undefined ? { send_time: parsed.sendTime } : {}),
            updated_at: writeDate(now),
          })
          .where('id', '=', stepId)
          .returningAll()
          .executeTakeFirstOrThrow();
        const target = parsed.stepOrder ?? position;
        const enabled = isEnabled(sequence.enabled);
        if (target !== position) {
          const ordered = steps.map((s) => s.id).filter((id) => id !== stepId);
          ordered.splice(target - 1, 0, stepId);
          await assignOrders(trx, sequenceId, ordered);
          await resyncProgress(trx, sequenceId);
          if (enabled) await flagForRecompute(trx, sequenceId, now);
        } else if (timingChanged && enabled) {
          await flagForRecompute(trx, sequenceId, now, { currentSteps: [step.step_order - 1] });
        }
        return toStep({ ...updated, step_order: target === position ? updated.step_order : target });
      });
    },

    async deleteStep(sequenceIdInput, stepIdInput) {
      const sequenceId = parseId(sequenceIdInput);
      const stepId = parseId(stepIdInput, 'stepId');
      const now = context.clock();
      await write(async (trx) => {
        const sequence = await lockOrThrow(trx, sequenceId);
        const { steps, step } = await loadStepOrThrow(trx, sequenceId, stepId);
        const enabled = isEnabled(sequence.enabled);
        const stamp = writeDate(now);
        await cancelQueued(trx, sequenceId, now, 'step deleted', { stepId }, () =>
          lockSequenceEnrollments(trx, sequenceId),
        );
        // Whoever had the deleted step queued goes on with the step after it.
        const clearing = trx
          .updateTable('sequence_enrollments')
          .where('sequence_id', '=', sequenceId)
          .where('pending_step_id', '=', stepId);
        if (enabled) {
          await clearing
            .set((eb) => ({
              pending_step_id: null,
              next_send_at: sql<
                string | null
              >`case when ${eb.ref('status')} = 'active' then ${stamp} else ${eb.ref('next_send_at')} end`,
              reschedule: eb.case().when('status', '=', 'active').then(1).else(eb.ref('reschedule')).end(),
              updated_at: stamp,
            }))
            .execute();
        } else {
          await clearing.set({ pending_step_id: null, updated_at: stamp }).execute();
        }
        await trx.deleteFrom('sequence_steps').where('id', '=', stepId).execute();
        await assignOrders(
          trx,
          sequenceId,
          steps.filter((s) => s.id !== stepId).map((s) => s.id),
        );
        await resyncProgress(trx, sequenceId, step.step_order);
        await repointAnchors(trx, sequenceId, stepId);
        if (enabled) await flagForRecompute(trx, sequenceId, now, { currentSteps: [step.step_order - 1] });
      });
    },

    async reorderSteps(sequenceIdInput, stepIdsInput) {
      const sequenceId = parseId(sequenceIdInput);
      const stepIds = parseInput(reorderStepsSchema, stepIdsInput, 'stepIds');
      const now = context.clock();
      return write(async (trx) => {
        const sequence = await lockOrThrow(trx, sequenceId);
        const steps = await loadSteps(trx, sequenceId);
        const known = new Set(steps.map((s) => s.id));
        const seen = new Set<number>();
        const issues: Array<{ path: string; message: string }> = [];
        stepIds.forEach((id, index) => {
          if (!known.has(id))
            issues.push({
              path: `stepIds.${index}`,
              message: `step ${id} is not a step of sequence ${sequenceId}`,
            });
          else if (seen.has(id))
            issues.push({ path: `stepIds.${index}`, message: `step ${id} is listed twice` });
          seen.add(id);
        });
        const missing = steps.filter((s) => !seen.has(s.id)).map((s) => s.id);
        if (missing.length > 0)
          issues.push({ path: 'stepIds', message: `must list every step; missing ${missing.join(', ')}` });
        if (issues.length > 0) throw new ValidationError(issues);
        await assignOrders(trx, sequenceId, stepIds);
        await resyncProgress(trx, sequenceId);
        if (isEnabled(sequence.enabled)) await flagForRecompute(trx, sequenceId, now);
        return (await loadSteps(trx, sequenceId)).map(toStep);
      });
    },
  };
}

type StepFields = {
  templateId: number | null;
  subject: string;
  delayDays: number;
  delayHours: number;
  sendTime: string | null;
};

function isEnabled(value: boolean | number): boolean {
  return value === true || value === 1;
}
