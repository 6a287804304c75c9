/*
 * Idle tick: a tick with nothing due, over a small and a large database of finished and
 * future rows (sent and future outbox rows, completed and waiting enrollments, done and
 * future batches, runs done and campaigns with a future next run). Its cost must not grow
 * with the stored rows: the two latencies are measured interleaved and compared.
 *
 * Then the plans: every statement an idle tick runs is captured (Kysely's log) on the large
 * database and explained with its own parameters — EXPLAIN QUERY PLAN on SQLite, EXPLAIN on
 * Postgres (the pg driver sends unnamed statements, planned with the values bound, as here).
 */
import { createScheduler, type Scheduler, type Transport } from '../src/index.js';
import { verdict } from './delivery.js';
import {
  benchDatabase,
  median,
  migratedScheduler,
  QUICK,
  series,
  statementLabel,
  type BenchBackend,
  type BenchDatabase,
  type BenchRow,
} from './support.js';

/** Nothing is due at this instant: finished rows lie before it, waiting rows after it. */
const IDLE_NOW = new Date('2026-03-01T00:00:00Z');
const PAST = '2026-01-01T00:00:00';
const FUTURE = '2026-04-01T00:00:00';

/** Tables that hold many rows; a full scan of one of them is a finding. */
const BIG_TABLES = new Set([
  'tickwork_outbox',
  'sequence_enrollments',
  'scheduled_batches',
  'recurring_campaigns',
  'tickwork_recurring_runs',
  'tickwork_batch_recipients',
]);

export interface PlanReport {
  backend: BenchBackend;
  label: string;
  sql: string;
  plan: string[];
  /** 'index' when every big table is reached through an index; otherwise what scans it. */
  verdict: string;
  indexed: boolean;
}

const unreachable: Transport = {
  send() {
    throw new Error('idle bench: nothing should be sent');
  },
};

/** Shares of the stored rows, by kind (they add up to 1). */
const MIX = {
  outboxSent: 0.4,
  outboxFuture: 0.2,
  enrollmentsCompleted: 0.1,
  enrollmentsFuture: 0.1,
  batchesDone: 0.05,
  batchesFuture: 0.05,
  campaignsFuture: 0.05,
  runsDone: 0.05,
};

/** An ISO instant `base + i seconds`, in the column's native type. */
function instant(db: BenchDatabase, base: string, offset = 's.i'): string {
  return db.backend === 'postgres'
    ? `(timestamptz '${base}Z' + ${offset} * interval '1 second')`
    : `strftime('%Y-%m-%dT%H:%M:%fZ', '${base}', '+' || ${offset} || ' seconds')`;
}

function json(db: BenchDatabase, text: string): string {
  return db.backend === 'postgres' ? `'${text}'::jsonb` : `'${text}'`;
}

function bool(db: BenchDatabase, value: boolean): string {
  return db.backend === 'postgres' ? String(value) : value ? '1' : '0';
}

/** Fills a migrated database with `total` finished and future rows, in plain SQL (untimed set-up). */
async function populate(db: BenchDatabase, total: number): Promise<void> {
  const n = (share: number) => Math.max(1, Math.round(total * share));
  const s = (count: number) => series(db.backend, count);
  const past = (offset = 's.i') => instant(db, PAST, offset);
  const future = (offset = 's.i') => instant(db, FUTURE, offset);
  const message = json(
    db,
    '{"to":"r@example.org","cc":[],"bcc":[],"subject":"Weekly digest","templateId":7,"recipient":{"email":"r@example.org","name":"Recipient","timezone":"Europe/Berlin"},"origin":{"type":"direct"}}',
  );

  await db.exec(
    `insert into tickwork_outbox (idempotency_key, source_type, source_id, recipient_email, message, status,
       attempts, next_attempt_at, sent_at, created_at, updated_at)
     select 'sent:' || s.i, 'direct', null, 'r' || s.i || '@example.org', ${message}, 'sent',
       1, ${past()}, ${past()}, ${past()}, ${past()} from ${s(n(MIX.outboxSent))}`,
  );
  await db.exec(
    `insert into tickwork_outbox (idempotency_key, source_type, source_id, recipient_email, message, status,
       attempts, next_attempt_at, created_at, updated_at)
     select 'future:' || s.i, 'direct', null, 'f' || s.i || '@example.org', ${message}, 'pending',
       0, ${future()}, ${past()}, ${past()} from ${s(n(MIX.outboxFuture))}`,
  );

  await db.exec(
    `insert into sequences (name, description, enabled, created_at, updated_at, timezone, on_step_failure)
     values ('Idle', null, ${bool(db, true)}, '${PAST}Z', '${PAST}Z', 'UTC', 'stop')`,
  );
  await db.exec(
    `insert into sequence_steps (sequence_id, step_order, template_id, subject, delay_days, delay_hours, created_at)
     values (1, 1, 1, 'Welcome', 0, 0, '${PAST}Z'), (1, 2, 2, 'Tips', 2, 0, '${PAST}Z')`,
  );
  await db.exec(
    `insert into sequence_enrollments (sequence_id, recipient_email, recipient_data, current_step, status,
       enrolled_at, next_send_at, completed_at, last_step_id, last_step_at, reschedule, updated_at)
     select 1, 'c' || s.i || '@example.org', ${json(db, '{}')}, 2, 'completed', ${past()}, null, ${past()},
       2, ${past()}, 0, ${past()} from ${s(n(MIX.enrollmentsCompleted))}`,
  );
  await db.exec(
    `insert into sequence_enrollments (sequence_id, recipient_email, recipient_data, current_step, status,
       enrolled_at, next_send_at, last_step_id, last_step_at, reschedule, updated_at)
     select 1, 'w' || s.i || '@example.org', ${json(db, '{}')}, 1, 'active', ${past()}, ${future()},
       1, ${past()}, 0, ${past()} from ${s(n(MIX.enrollmentsFuture))}`,
  );

  await db.exec(
    `insert into scheduled_batches (campaign_id, scheduled_for, recipient_emails, status, created_at,
       recipient_count, enqueued_count, cursor_position, completed_at, updated_at)
     select s.i, ${past()}, ${json(db, '[]')}, 'done', ${past()}, 1, 1, 1, ${past()}, ${past()}
     from ${s(n(MIX.batchesDone))}`,
  );
  await db.exec(
    `insert into scheduled_batches (campaign_id, scheduled_for, recipient_emails, status, created_at, updated_at)
     select s.i, ${future()}, ${json(db, '[]')}, 'pending', ${past()}, ${past()} from ${s(n(MIX.batchesFuture))}`,
  );

  await db.exec(
    `insert into recurring_campaigns (name, subject, recipient_source, recipient_data, schedule_cron, timezone,
       enabled, next_run_at, created_at, updated_at, run_count)
     select 'Campaign ' || s.i, 'Digest', 'static', ${json(db, '["a@example.org"]')}, '0 9 * * 1', 'UTC',
       ${bool(db, true)}, ${future()}, ${past()}, ${past()}, 1 from ${s(n(MIX.campaignsFuture))}`,
  );
  const campaigns = n(MIX.campaignsFuture);
  await db.exec(
    `insert into tickwork_recurring_runs (campaign_id, occurrence_key, kind, status, scheduled_at, attempts,
       next_attempt_at, recipient_count, started_at, finished_at, created_at)
     select 1 + (s.i % ${campaigns}), 'occ:' || s.i, 'scheduled', 'completed', ${past()}, 1, null, 1,
       ${past()}, ${past()}, ${past()} from ${s(n(MIX.runsDone))}`,
  );
  // Statistics, as autovacuum (Postgres) or a host's periodic ANALYZE (SQLite) would keep them.
  // (A bare ANALYZE on Postgres would analyse every schema of the shared server.)
  await db.exec(
    db.backend === 'postgres'
      ? `analyze ${[...BIG_TABLES, 'sequences', 'sequence_steps'].join(', ')}`
      : 'analyze',
  );
}

async function countRows(db: BenchDatabase): Promise<number> {
  let total = 0;
  for (const table of BIG_TABLES) {
    const [row] = await db.query<{ n: number | string }>(`select count(*) as n from ${table}`);
    total += Number(row?.n ?? 0);
  }
  return total;
}

/** One idle tick; fails if it did anything. Returns milliseconds. */
async function idleTick(scheduler: Scheduler): Promise<number> {
  const start = process.hrtime.bigint();
  const summary = await scheduler.tick(IDLE_NOW);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const busy =
    summary.moreDue ||
    summary.delivery.claimed > 0 ||
    Object.values(summary.phases).some((p) => p.processed > 0 || p.moreDue);
  if (busy) throw new Error(`idle bench: the tick found work: ${JSON.stringify(summary)}`);
  return ms;
}

/** EXPLAINs one captured statement with its own parameters. */
async function explain(db: BenchDatabase, sql: string, parameters: readonly unknown[]): Promise<string[]> {
  if (db.rawSqlite) {
    const rows = db.rawSqlite.prepare(`explain query plan ${sql}`).all(...parameters) as Array<{
      id: number;
      parent: number;
      detail: string;
    }>;
    const depth = new Map<number, number>([[0, -1]]);
    return rows.map((r) => {
      const d = (depth.get(r.parent) ?? -1) + 1;
      depth.set(r.id, d);
      return `${'  '.repeat(d)}${r.detail}`;
    });
  }
  const rows = await db.query<{ 'QUERY PLAN': string }>(`explain ${sql}`, [...parameters]);
  return rows.map((r) => r['QUERY PLAN']);
}

/** Which big tables a plan reads without an index. */
function scans(backend: BenchBackend, plan: string[]): string[] {
  const found: string[] = [];
  for (const line of plan) {
    const match =
      backend === 'postgres'
        ? /Seq Scan on (?:\w+\.)?(\w+)/.exec(line)
        : /^\s*SCAN (\w+)(?!.*USING)/.exec(line);
    if (match && BIG_TABLES.has(match[1]!))
      found.push(`${backend === 'postgres' ? 'Seq Scan' : 'SCAN'} ${match[1]}`);
  }
  return found;
}

async function capturePlans(db: BenchDatabase): Promise<PlanReport[]> {
  const captured = new Map<string, readonly unknown[]>();
  const scheduler = createScheduler({
    store: db.loggedStore((sql, parameters) => {
      if (!captured.has(sql)) captured.set(sql, parameters);
    }),
    transport: unreachable,
  });
  await idleTick(scheduler);
  await scheduler.close();
  const reports: PlanReport[] = [];
  for (const [sql, parameters] of captured) {
    if (!/^\s*(select|update|insert|delete|with)\b/i.test(sql)) continue;
    const plan = await explain(db, sql, parameters);
    const full = scans(db.backend, plan);
    reports.push({
      backend: db.backend,
      label: statementLabel(sql),
      sql: sql.replace(/\s+/g, ' ').replace(/"[a-z0-9_]+"\.(?=")/g, ''),
      plan,
      verdict: full.length === 0 ? 'index' : full.join(', '),
      indexed: full.length === 0,
    });
  }
  return reports;
}

export async function benchIdle(
  backends: BenchBackend[],
  sizes = [10_000, 1_000_000],
): Promise<{ rows: BenchRow[]; plans: PlanReport[] }> {
  const rows: BenchRow[] = [];
  const plans: PlanReport[] = [];
  const small = sizes[0]!;
  const large = sizes[sizes.length - 1]!;
  for (const backend of backends) {
    const dbs: BenchDatabase[] = [];
    const schedulers: Scheduler[] = [];
    try {
      for (const size of [small, large]) {
        const db = await benchDatabase(backend);
        dbs.push(db);
        const setup = await migratedScheduler(db);
        await setup.close();
        await populate(db, size);
        const scheduler = createScheduler({ store: db.store(), transport: unreachable });
        schedulers.push(scheduler);
        for (let i = 0; i < 5; i++) await idleTick(scheduler); // warm caches and statements
      }
      const stored = [await countRows(dbs[0]!), await countRows(dbs[1]!)];
      const times: number[][] = [[], []];
      // Interleaved: rounds of 5 ticks on each database, alternating which goes first.
      for (let round = 0; round < (QUICK ? 4 : 10); round++) {
        const order = round % 2 === 0 ? [0, 1] : [1, 0];
        for (const which of order) {
          for (let i = 0; i < 5; i++) times[which]!.push(await idleTick(schedulers[which]!));
        }
      }
      const medians = times.map((t) => median(t));
      for (const [which, size] of [small, large].entries()) {
        rows.push({
          bench: 'idle tick',
          backend,
          metric: `over ${stored[which]!.toLocaleString('en-US')} stored rows`,
          value: medians[which]!,
          unit: 'ms median',
          note: `${times[which]!.length} ticks; nominal ${size.toLocaleString('en-US')}`,
        });
      }
      const ratio = medians[1]! / medians[0]!;
      rows.push({
        bench: 'idle tick',
        backend,
        metric: `${large.toLocaleString('en-US')} / ${small.toLocaleString('en-US')} rows`,
        value: ratio,
        unit: 'ratio',
        note: `${verdict(ratio <= 1.5)} target ≈ 1 (≤ 1.5)`,
      });
      const reports = await capturePlans(dbs[1]!);
      plans.push(...reports);
      const bad = reports.filter((r) => !r.indexed);
      rows.push({
        bench: 'idle tick',
        backend,
        metric: 'statements using an index',
        value: reports.length - bad.length,
        unit: `of ${reports.length}`,
        note:
          bad.length === 0
            ? 'every due query reaches its table through an index'
            : bad.map((r) => `${r.label}: ${r.verdict}`).join('; '),
      });
    } finally {
      for (const s of schedulers) await s.close();
      for (const db of dbs) await db.destroy();
    }
  }
  return { rows, plans };
}
