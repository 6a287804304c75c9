/*
 * The SQL of the sequences engine. Every function takes the executor to run on (the caller's
 * transaction inside writes). Locking rule, so that concurrent tickers, delivery hooks and API
 * calls serialise without deadlocking on Postgres: structure edits lock the sequence row first;
 * whoever writes an enrollment's progress locks the enrollment row before reading the steps.
 */
import { sql, type Kysely, type Updateable } from 'kysely';
import { writeDate } from '../../store/codec.js';
import type { TickworkDatabase } from '../../store/schema.js';
import type { EnrollmentRow, SequenceRow, StepRow } from './records.js';
import { emptyCounts, toStatus, type EnrollmentCounts } from './records.js';
import type { SequenceEnrollmentsTable } from './tables.js';
import { toStructure, type Structure } from './timing.js';

type Db = Kysely<TickworkDatabase>;

const ID_CHUNK = 1000;

function chunks<T>(items: readonly T[], size = ID_CHUNK): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** Reads a sequence and takes its row lock (Postgres), serialising structure edits and enrollments. */
export async function lockSequence(db: Db, id: number): Promise<SequenceRow | undefined> {
  return db
    .updateTable('sequences')
    .set((eb) => ({ name: eb.ref('name') }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function getSequenceRow(db: Db, id: number): Promise<SequenceRow | undefined> {
  return db.selectFrom('sequences').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function loadSteps(db: Db, sequenceId: number): Promise<StepRow[]> {
  return db
    .selectFrom('sequence_steps')
    .selectAll()
    .where('sequence_id', '=', sequenceId)
    .orderBy('step_order')
    .orderBy('id')
    .execute();
}

/** The structure of each sequence named, read in two statements (callers hold the enrollment locks). */
export async function loadStructures(
  db: Db,
  sequenceIds: readonly number[],
): Promise<Map<number, Structure>> {
  const structures = new Map<number, Structure>();
  const unique = [...new Set(sequenceIds)];
  if (unique.length === 0) return structures;
  for (const part of chunks(unique)) {
    const sequences = await db.selectFrom('sequences').selectAll().where('id', 'in', part).execute();
    const steps = await db
      .selectFrom('sequence_steps')
      .selectAll()
      .where('sequence_id', 'in', part)
      .orderBy('sequence_id')
      .orderBy('step_order')
      .orderBy('id')
      .execute();
    for (const sequence of sequences) {
      structures.set(
        sequence.id,
        toStructure(
          sequence,
          steps.filter((s) => s.sequence_id === sequence.id),
        ),
      );
    }
  }
  return structures;
}

/**
 * Locks enrollments and returns their current rows. Postgres: SELECT ... FOR NO KEY UPDATE (the
 * lock a no-op UPDATE takes, without writing a new version of every row). SQLite: a plain read,
 * since the caller's write transaction (BEGIN IMMEDIATE) already holds the database's only
 * write lock. Without a dialect: a no-op update, portable to both.
 */
export async function lockEnrollments(
  db: Db,
  ids: readonly number[],
  dialect?: 'sqlite' | 'postgres',
): Promise<Map<number, EnrollmentRow>> {
  const rows = new Map<number, EnrollmentRow>();
  for (const part of chunks([...new Set(ids)].sort((a, b) => a - b))) {
    // In id order: two settlers locking overlapping sets then take the locks in one order and
    // cannot deadlock.
    const select = db.selectFrom('sequence_enrollments').selectAll().where('id', 'in', part).orderBy('id');
    const locked =
      dialect === 'postgres'
        ? await select.forNoKeyUpdate().execute()
        : dialect === 'sqlite'
          ? await select.execute()
          : await db
              .updateTable('sequence_enrollments')
              .set((eb) => ({ current_step: eb.ref('current_step') }))
              .where('id', 'in', part)
              .returningAll()
              .execute();
    for (const row of locked) rows.set(row.id, row);
  }
  return rows;
}

export async function lockEnrollment(db: Db, id: number): Promise<EnrollmentRow | undefined> {
  return (await lockEnrollments(db, [id])).get(id);
}

/** Locks every enrollment of a sequence before a structure edit rewrites their progress. */
export async function lockSequenceEnrollments(db: Db, sequenceId: number): Promise<void> {
  await db
    .updateTable('sequence_enrollments')
    .set((eb) => ({ current_step: eb.ref('current_step') }))
    .where('sequence_id', '=', sequenceId)
    .execute();
}

/** Enrollments of a sequence that have a step in the outbox (optionally: that step). */
export async function enrollmentsWithPendingStep(
  db: Db,
  sequenceId: number,
  filter: { stepId?: number; activeOnly?: boolean } = {},
): Promise<number[]> {
  let query = db
    .selectFrom('sequence_enrollments')
    .select('id')
    .where('sequence_id', '=', sequenceId)
    .where('pending_step_id', 'is not', null);
  if (filter.stepId !== undefined) query = query.where('pending_step_id', '=', filter.stepId);
  if (filter.activeOnly) query = query.where('status', '=', 'active');
  return (await query.execute()).map((r) => r.id);
}

/**
 * Re-derives `current_step` from the anchor step after steps were renumbered. When the
 * anchor was deleted (`deletedOrder` given), the position moves back by one so the step
 * after the deleted one is next.
 */
export async function resyncProgress(db: Db, sequenceId: number, deletedOrder?: number): Promise<void> {
  await db
    .updateTable('sequence_enrollments')
    .set((eb) => ({
      current_step: eb.fn.coalesce(
        eb
          .selectFrom('sequence_steps')
          .select('sequence_steps.step_order')
          .whereRef('sequence_steps.id', '=', 'sequence_enrollments.last_step_id'),
        deletedOrder === undefined
          ? eb.ref('sequence_enrollments.current_step')
          : eb
              .case()
              .when('sequence_enrollments.current_step', '>=', deletedOrder)
              .then(eb('sequence_enrollments.current_step', '-', 1))
              .else(eb.ref('sequence_enrollments.current_step'))
              .end(),
      ),
    }))
    .where('sequence_id', '=', sequenceId)
    .execute();
}

/** Points anchors that named a deleted step at the step now at their position (or none). */
export async function repointAnchors(db: Db, sequenceId: number, deletedStepId: number): Promise<void> {
  await db
    .updateTable('sequence_enrollments')
    .set((eb) => ({
      last_step_id: eb
        .selectFrom('sequence_steps')
        .select('sequence_steps.id')
        .where('sequence_steps.sequence_id', '=', sequenceId)
        .whereRef('sequence_steps.step_order', '=', 'sequence_enrollments.current_step')
        .orderBy('sequence_steps.id')
        .limit(1),
    }))
    .where('sequence_id', '=', sequenceId)
    .where('last_step_id', '=', deletedStepId)
    .execute();
}

/**
 * Makes the next tick recompute the next send time of active enrollments that are waiting
 * (no step in the outbox), optionally only those at given positions or without their own zone.
 */
export async function flagForRecompute(
  db: Db,
  sequenceId: number,
  now: Date,
  filter: { currentSteps?: readonly number[]; withoutOwnTimezone?: boolean } = {},
): Promise<number> {
  if (filter.currentSteps && filter.currentSteps.length === 0) return 0;
  let query = db
    .updateTable('sequence_enrollments')
    .set({ next_send_at: writeDate(now), reschedule: 1, updated_at: writeDate(now) })
    .where('sequence_id', '=', sequenceId)
    .where('status', '=', 'active')
    .where('pending_step_id', 'is', null);
  if (filter.currentSteps) query = query.where('current_step', 'in', [...filter.currentSteps]);
  if (filter.withoutOwnTimezone) query = query.where('timezone', 'is', null);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Sets the steps' orders to their positions in `orderedIds` (1-based), in one statement. */
export async function assignOrders(db: Db, sequenceId: number, orderedIds: readonly number[]): Promise<void> {
  if (orderedIds.length === 0) return;
  const cases = orderedIds.map((id, index) => sql`when ${sql.lit(id)} then ${sql.lit(index + 1)}`);
  await db
    .updateTable('sequence_steps')
    .set({
      step_order: sql<number>`case ${sql.ref('id')} ${sql.join(cases, sql` `)} else ${sql.ref('step_order')} end`,
    })
    .where('sequence_id', '=', sequenceId)
    .execute();
}

/** What a decision writes to an enrollment; instants as Dates. */
export interface EnrollmentPatch {
  status?: string;
  current_step?: number;
  last_step_id?: number | null;
  last_step_at?: Date | null;
  pending_step_id?: number | null;
  next_send_at?: Date | null;
  reschedule?: number;
  status_reason?: string | null;
  completed_at?: Date | null;
  paused_at?: Date | null;
  cancelled_at?: Date | null;
  failed_at?: Date | null;
  updated_at?: Date;
}

function toUpdate(patch: EnrollmentPatch): Updateable<SequenceEnrollmentsTable> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    out[key] = value instanceof Date ? writeDate(value) : value;
  }
  return out as Updateable<SequenceEnrollmentsTable>;
}

/** An enrollment that has no step left: finished, nothing pending, nothing scheduled. */
export function completedPatch(now: Date): EnrollmentPatch {
  return {
    status: 'completed',
    completed_at: now,
    next_send_at: null,
    pending_step_id: null,
    reschedule: 0,
    updated_at: now,
  };
}

export async function updateEnrollment(db: Db, id: number, patch: EnrollmentPatch): Promise<void> {
  await db.updateTable('sequence_enrollments').set(toUpdate(patch)).where('id', '=', id).execute();
}

/**
 * Applies many patches, one statement per distinct patch: a tick that queues the same step
 * for a thousand enrollments writes them with one UPDATE.
 */
export async function applyPatches(db: Db, patches: ReadonlyMap<number, EnrollmentPatch>): Promise<void> {
  const groups = new Map<string, { update: Updateable<SequenceEnrollmentsTable>; ids: number[] }>();
  for (const [id, patch] of patches) {
    const update = toUpdate(patch);
    const key = JSON.stringify(Object.entries(update).sort(([a], [b]) => a.localeCompare(b)));
    const group = groups.get(key);
    if (group) group.ids.push(id);
    else groups.set(key, { update, ids: [id] });
  }
  for (const { update, ids } of groups.values()) {
    for (const part of chunks(ids)) {
      await db.updateTable('sequence_enrollments').set(update).where('id', 'in', part).execute();
    }
  }
}

export async function countEnrollments(db: Db, sequenceId: number): Promise<EnrollmentCounts> {
  const rows = await db
    .selectFrom('sequence_enrollments')
    .select((eb) => ['status', eb.fn.countAll<number | string>().as('count')])
    .where('sequence_id', '=', sequenceId)
    .groupBy('status')
    .execute();
  const counts = emptyCounts();
  for (const row of rows) {
    const n = Number(row.count);
    counts[toStatus(row.status)] += n;
    counts.total += n;
  }
  return counts;
}
