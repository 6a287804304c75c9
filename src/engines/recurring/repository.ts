import { sql, type Insertable, type Kysely, type Updateable } from 'kysely';
import { CANCELLABLE_STATUSES } from '../../delivery/outbox.js';
import type { StoreAdapter } from '../../store/adapter.js';
import { writeDate } from '../../store/codec.js';
import type { TickworkDatabase } from '../../store/schema.js';
import type { CampaignRow, RunRow } from './mapper.js';
import type { RecurringCampaignsTable, RecurringRunsTable, RecurringRunStatus } from './tables.js';

type Db = Kysely<TickworkDatabase>;

export const SOURCE_TYPE = 'recurring';
/** Runs a tick may still pick up: their `next_attempt_at` is when. */
export const OPEN_RUN_STATUSES = [
  'pending',
  'retrying',
  'resolving',
] as const satisfies readonly RecurringRunStatus[];

/**
 * The open statuses inlined as literals: the claim index is partial (`WHERE status IN (...)`)
 * and SQLite cannot prove that a predicate with bound parameters implies it (see CLAIMABLE in
 * delivery/outbox.ts), so with parameters every claim scanned the whole run history.
 */
const OPEN_RUN_LITERALS = OPEN_RUN_STATUSES.map((status) => sql.lit(status));

const INSERT_CHUNK = 500;

/** Every SQL statement of the recurring engine. Instants come in as Dates and are written as ISO strings. */
export class RecurringRepository {
  constructor(private readonly adapter: StoreAdapter) {}

  async insertCampaign(db: Db, values: Insertable<RecurringCampaignsTable>): Promise<CampaignRow> {
    return db.insertInto('recurring_campaigns').values(values).returningAll().executeTakeFirstOrThrow();
  }

  async getCampaign(db: Db, id: number): Promise<CampaignRow | undefined> {
    return db.selectFrom('recurring_campaigns').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listCampaigns(
    db: Db,
    filter: { limit: number; offset: number; enabled?: boolean },
  ): Promise<{ rows: CampaignRow[]; total: number }> {
    let query = db.selectFrom('recurring_campaigns');
    if (filter.enabled !== undefined) query = query.where('enabled', '=', filter.enabled ? 1 : 0);
    const [rows, count] = await Promise.all([
      query.selectAll().orderBy('id').limit(filter.limit).offset(filter.offset).execute(),
      query.select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(count.count) };
  }

  async updateCampaign(
    db: Db,
    id: number,
    values: Updateable<RecurringCampaignsTable>,
  ): Promise<CampaignRow> {
    return db
      .updateTable('recurring_campaigns')
      .set(values)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async deleteCampaign(db: Db, id: number): Promise<void> {
    // The campaign row first: on Postgres that takes its lock before any run row, the order the
    // tick's claim uses, so the two never wait on each other in a cycle.
    await db.deleteFrom('recurring_campaigns').where('id', '=', id).execute();
    // Cascaded already where foreign keys are enforced; explicit for a SQLite handle without them.
    await db.deleteFrom('tickwork_recurring_runs').where('campaign_id', '=', id).execute();
  }

  /** Campaigns whose next occurrence has come, oldest first. */
  async dueCampaignIds(db: Db, now: Date, limit: number): Promise<number[]> {
    const rows = await db
      .selectFrom('recurring_campaigns')
      .select('id')
      .where('next_run_at', '<=', writeDate(now))
      .where('enabled', '=', 1)
      .orderBy('next_run_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Moves a campaign's schedule on, but only if its next occurrence is still the one the
   * caller read: the compare-and-set that lets exactly one process claim an occurrence.
   */
  async advanceSchedule(
    db: Db,
    id: number,
    expectedNextRunAt: Date,
    values: { nextRunAt: Date | null; disabledReason: string | null; runsAdded: number },
  ): Promise<boolean> {
    const result = await db
      .updateTable('recurring_campaigns')
      .set((eb) => ({
        next_run_at: values.nextRunAt ? writeDate(values.nextRunAt) : null,
        enabled: values.nextRunAt ? 1 : 0,
        disabled_reason: values.disabledReason,
        run_count: eb('run_count', '+', values.runsAdded),
      }))
      .where('id', '=', id)
      .where('enabled', '=', 1)
      .where('next_run_at', '=', writeDate(expectedNextRunAt))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Records that a run started at `now`, unless a later one already did. */
  async touchLastRun(db: Db, id: number, now: Date): Promise<void> {
    const stamp = writeDate(now);
    await db
      .updateTable('recurring_campaigns')
      .set({ last_run_at: stamp })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_run_at', 'is', null), eb('last_run_at', '<', stamp)]))
      .execute();
  }

  /** Inserts runs whose (campaign, occurrence) is new; returns the rows inserted. */
  async insertRuns(db: Db, rows: readonly Insertable<RecurringRunsTable>[]): Promise<RunRow[]> {
    const inserted: RunRow[] = [];
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const chunk = await db
        .insertInto('tickwork_recurring_runs')
        .values(rows.slice(start, start + INSERT_CHUNK))
        .onConflict((oc) => oc.columns(['campaign_id', 'occurrence_key']).doNothing())
        .returningAll()
        .execute();
      inserted.push(...chunk);
    }
    return inserted;
  }

  /**
   * Claims the oldest due run under a lease in one statement (Postgres: SKIP LOCKED; SQLite:
   * the statement runs under the write lock), counting one more attempt.
   */
  async claimRun(
    db: Db,
    params: { now: Date; leaseMs: number; leaseToken: string },
  ): Promise<RunRow | undefined> {
    const now = writeDate(params.now);
    const leaseExpiry = writeDate(new Date(params.now.getTime() + params.leaseMs));
    const due = this.adapter.lockForClaim(
      db
        .selectFrom('tickwork_recurring_runs')
        .select('id')
        .where('status', 'in', OPEN_RUN_LITERALS)
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(1),
    );
    return db
      .updateTable('tickwork_recurring_runs')
      .set((eb) => ({
        status: 'resolving',
        attempts: eb('attempts', '+', 1),
        lease_token: params.leaseToken,
        next_attempt_at: leaseExpiry,
        started_at: eb.fn.coalesce('started_at', eb.val(now)).$castTo<string | null>(),
      }))
      .where('id', 'in', due)
      .returningAll()
      .executeTakeFirst();
  }

  /**
   * Settles a claimed run, only while the caller still holds its lease (a process that
   * overran it, or a run cancelled meanwhile, changes nothing).
   */
  async settleRun(
    db: Db,
    id: number,
    leaseToken: string,
    values: Updateable<RecurringRunsTable>,
  ): Promise<boolean> {
    const result = await db
      .updateTable('tickwork_recurring_runs')
      .set({ ...values, lease_token: null })
      .where('id', '=', id)
      .where('lease_token', '=', leaseToken)
      .where('status', '=', 'resolving')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async hasDueCampaign(db: Db, now: Date): Promise<boolean> {
    const row = await db
      .selectFrom('recurring_campaigns')
      .select('id')
      .where('next_run_at', '<=', writeDate(now))
      .where('enabled', '=', 1)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async hasDueRun(db: Db, now: Date): Promise<boolean> {
    const row = await db
      .selectFrom('tickwork_recurring_runs')
      .select('id')
      .where('status', 'in', OPEN_RUN_LITERALS)
      .where('next_attempt_at', '<=', writeDate(now))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Cancels a campaign's runs that have not finished; returns their ids. */
  async cancelOpenRuns(db: Db, campaignId: number, now: Date, reason: string): Promise<number[]> {
    const rows = await db
      .updateTable('tickwork_recurring_runs')
      .set({
        status: 'cancelled',
        error: reason,
        next_attempt_at: null,
        lease_token: null,
        finished_at: writeDate(now),
      })
      .where('campaign_id', '=', campaignId)
      .where('status', 'in', OPEN_RUN_STATUSES)
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  /** Ids of the campaign's runs that still have messages not sent (the outbox's source ids). */
  async runIdsWithUnsentDeliveries(db: Db, campaignId: number): Promise<number[]> {
    const rows = await db
      .selectFrom('tickwork_outbox')
      .select('source_id')
      .distinct()
      .where('source_type', '=', SOURCE_TYPE)
      .where('status', 'in', CANCELLABLE_STATUSES)
      .where('source_id', 'in', (eb) =>
        eb.selectFrom('tickwork_recurring_runs').select('id').where('campaign_id', '=', campaignId),
      )
      .execute();
    return rows.map((r) => r.source_id).filter((id): id is number => id !== null);
  }

  async getRun(db: Db, id: number): Promise<RunRow | undefined> {
    return db.selectFrom('tickwork_recurring_runs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listRuns(
    db: Db,
    filter: { campaignId: number; limit: number; offset: number; status?: RecurringRunStatus },
  ): Promise<{ rows: RunRow[]; total: number }> {
    let query = db.selectFrom('tickwork_recurring_runs').where('campaign_id', '=', filter.campaignId);
    if (filter.status) query = query.where('status', '=', filter.status);
    const [rows, count] = await Promise.all([
      query.selectAll().orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute(),
      query.select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(count.count) };
  }
}
