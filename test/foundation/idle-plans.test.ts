/*
 * DESIGN.md, "Bounded ticks": the cost of a tick with nothing due does not grow with the
 * stored rows — indexes, not scans. The benchmark (`npm run bench -- idle`) measures the cost;
 * this test holds the cause: every statement an idle tick runs is explained with its own
 * parameters, and none may read a whole table. SQLite plans without statistics, so its answer
 * here is the one it gives in production; Postgres is asked with sequential scans priced out
 * (`enable_seqscan = off`), so a plan still scanning means no index can serve the query — a
 * partial index that bound parameters cannot match, say.
 */
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createScheduler } from '../../src/index.js';
import { postgresStore } from '../../src/postgres/index.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import type { TickworkStore } from '../../src/store/store.js';
import { backends, type TestDatabase } from '../support/backends.js';

interface Statement {
  sql: string;
  parameters: readonly unknown[];
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A store on `database` that records every statement it runs. */
function recordingStore(database: TestDatabase, statements: Statement[]): TickworkStore {
  const log = (event: LogEvent) => {
    if (event.level === 'query')
      statements.push({ sql: event.query.sql, parameters: event.query.parameters });
  };
  const { location } = database;
  if (location.kind === 'sqlite') {
    const db = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: new Database(location.path) }),
      log,
    });
    cleanups.push(() => db.destroy());
    return sqliteStore(db);
  }
  if (location.kind !== 'postgres') throw new Error('PGlite is covered by the Postgres server');
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({
      pool: new pg.Pool({ connectionString: location.connectionString, max: 2 }),
    }),
    log,
  });
  cleanups.push(() => db.destroy());
  return postgresStore(db, { schema: location.schema });
}

/** Tables a plan reads whole. */
async function scannedTables(database: TestDatabase, statement: Statement): Promise<string[]> {
  const { location } = database;
  if (location.kind === 'sqlite') {
    const handle = new Database(location.path, { readonly: true });
    try {
      const rows = handle
        .prepare(`explain query plan ${statement.sql}`)
        .all(...statement.parameters) as Array<{
        detail: string;
      }>;
      return rows.flatMap((row) => /^SCAN (?!CONSTANT ROW)(\w+)(?!.*USING)/.exec(row.detail)?.[1] ?? []);
    } finally {
      handle.close();
    }
  }
  if (location.kind !== 'postgres') return [];
  const client = new pg.Client({ connectionString: location.connectionString });
  await client.connect();
  try {
    await client.query(`set search_path to ${location.schema}; set enable_seqscan = off`);
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain ${statement.sql}`, [
      ...statement.parameters,
    ]);
    return rows.flatMap((row) => /Seq Scan on (?:\w+\.)?(\w+)/.exec(row['QUERY PLAN'])?.[1] ?? []);
  } finally {
    await client.end();
  }
}

describe.each(backends.filter((b) => b.name !== 'pglite'))('an idle tick on $name', (backend) => {
  it('reaches every table it reads through an index', async () => {
    const database = await backend.create();
    cleanups.push(() => database.destroy());
    const statements: Statement[] = [];
    const scheduler = createScheduler({
      store: recordingStore(database, statements),
      transport: { send() {} },
      options: { clock: () => new Date('2026-03-02T08:00:00Z') },
    });
    cleanups.push(() => scheduler.close());
    await scheduler.migrate();
    // Stored work that is not due: a campaign, an enrollment, a batch and a message in the future.
    await scheduler.recurring.create({
      name: 'weekly',
      subject: 'Digest',
      recipientSource: 'static',
      recipientData: ['a@x.org'],
      scheduleCron: '0 9 * * 1',
      timezone: 'UTC',
    });
    const sequence = await scheduler.sequences.create({
      name: 'onboarding',
      steps: [{ subject: 'Welcome', delayDays: 3 }],
    });
    await scheduler.sequences.enrollRecipient(sequence.id, 'b@x.org');
    await scheduler.batches.createTimezoneBatches(7, [{ email: 'c@x.org', timezone: 'Asia/Tokyo' }], {
      date: '2026-03-10',
      time: '09:00',
    });
    await scheduler.deliveries.enqueue({
      idempotencyKey: 'later',
      to: 'd@x.org',
      subject: 'Later',
      dueAt: new Date('2026-04-01T00:00:00Z'),
    });

    statements.length = 0;
    const summary = await scheduler.tick(new Date('2026-03-02T08:00:00Z'));
    expect(summary.moreDue).toBe(false);
    const queries = statements.filter((s) => /^\s*(select|update)\b/i.test(s.sql));
    // Campaigns, runs, enrollments, batches, outbox: every due query ran.
    expect(queries.length).toBeGreaterThanOrEqual(5);
    const scans: string[] = [];
    for (const statement of queries) {
      for (const table of await scannedTables(database, statement)) scans.push(`${table}: ${statement.sql}`);
    }
    expect(scans).toEqual([]);
  });
});
