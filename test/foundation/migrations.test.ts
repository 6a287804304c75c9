import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../src/index.js';
import { CapturingTransport } from '../../src/testing/index.js';
import { backends, migrationNames } from '../support/backends.js';
import { setup } from '../support/harness.js';

// The mailer's seed schema, table by table (../shared/seed-schema.sql).
const SEED_COLUMNS: Record<string, string[]> = {
  recurring_campaigns: [
    'id',
    'name',
    'template_id',
    'subject',
    'recipient_source',
    'recipient_data',
    'schedule_cron',
    'timezone',
    'cc',
    'bcc',
    'enabled',
    'last_run_at',
    'next_run_at',
    'created_at',
  ],
  sequences: ['id', 'name', 'description', 'enabled', 'created_at', 'updated_at'],
  sequence_steps: [
    'id',
    'sequence_id',
    'step_order',
    'template_id',
    'subject',
    'delay_days',
    'delay_hours',
    'send_time',
    'created_at',
  ],
  sequence_enrollments: [
    'id',
    'sequence_id',
    'recipient_email',
    'recipient_data',
    'current_step',
    'status',
    'enrolled_at',
    'next_send_at',
    'completed_at',
  ],
  scheduled_batches: ['id', 'campaign_id', 'scheduled_for', 'recipient_emails', 'status', 'created_at'],
};

async function columnsOf(database: Awaited<ReturnType<typeof setup>>['database'], table: string) {
  if (database.backend === 'sqlite') {
    return (await database.raw<{ name: string }>(`pragma table_info(${table})`)).map((c) => c.name);
  }
  return (
    await database.raw<{ column_name: string }>(
      `select column_name from information_schema.columns where table_schema = current_schema() and table_name = '${table}'`,
    )
  ).map((c) => c.column_name);
}

describe.each(backends)('migrations on $name', (backend) => {
  it('creates every seed table and column, and the outbox', async () => {
    const { database } = await setup(backend);
    for (const [table, columns] of Object.entries(SEED_COLUMNS)) {
      const actual = await columnsOf(database, table);
      expect(actual, table).toEqual(expect.arrayContaining(columns));
    }
    expect(await columnsOf(database, 'tickwork_outbox')).toEqual(
      expect.arrayContaining([
        'idempotency_key',
        'status',
        'attempts',
        'next_attempt_at',
        'lease_expires_at',
        'last_error',
        'sent_at',
        'result',
      ]),
    );
  });

  it('keeps its history in its own table and declares no foreign key to the host tables', async () => {
    const { database } = await setup(backend);
    const history = await database.raw<{ name: string }>('select name from tickwork_migration');
    expect(history.map((h) => h.name).sort()).toEqual(await migrationNames());
    if (database.backend === 'sqlite') {
      const fks = await database.raw<{ table: string }>(
        `select * from pragma_foreign_key_list('recurring_campaigns')`,
      );
      expect(fks).toEqual([]);
      const batchFks = await database.raw<{ table: string }>(
        `select * from pragma_foreign_key_list('scheduled_batches')`,
      );
      expect(batchFks).toEqual([]);
    } else {
      const fks = await database.raw<{ target: string }>(
        `select ccu.table_name as target from information_schema.table_constraints tc
         join information_schema.constraint_column_usage ccu on ccu.constraint_name = tc.constraint_name and ccu.table_schema = tc.table_schema
         where tc.constraint_type = 'FOREIGN KEY' and tc.table_schema = current_schema()`,
      );
      // Foreign keys exist only between tickwork's own tables.
      expect(fks.length).toBeGreaterThan(0);
      for (const { target } of fks) expect(['templates', 'campaigns']).not.toContain(target);
    }
  });

  it('is a no-op when run again, also from a second scheduler', async () => {
    const { database, scheduler } = await setup(backend);
    await scheduler.migrate();
    const second = createScheduler({ store: database.openStore(), transport: new CapturingTransport() });
    await second.migrate();
    await second.close();
    const history = await database.raw('select * from tickwork_migration');
    expect(history).toHaveLength((await migrationNames()).length);
  });

  it('survives concurrent migrate() calls on a fresh database', async () => {
    const database = await backend.create();
    try {
      const schedulers = [0, 1, 2].map(() =>
        createScheduler({ store: database.openStore(), transport: new CapturingTransport() }),
      );
      await Promise.all(schedulers.map((s) => s.migrate()));
      const history = await database.raw('select * from tickwork_migration');
      expect(history).toHaveLength((await migrationNames()).length);
      for (const s of schedulers) await s.close();
    } finally {
      await database.destroy();
    }
  });

  it('round-trips instants to the millisecond and orders them correctly in SQL', async () => {
    const { database } = await setup(backend);
    const store = database.openStore();
    const instants = [
      '2026-03-29T00:59:59.999Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T01:00:00.001Z',
      '1999-12-31T23:59:59.500Z',
    ];
    for (const [i, iso] of instants.entries()) {
      await store.db
        .insertInto('scheduled_batches')
        .values({ campaign_id: i, scheduled_for: iso, recipient_emails: '[]', created_at: iso })
        .execute();
    }
    const rows = await store.db
      .selectFrom('scheduled_batches')
      .select(['campaign_id', 'scheduled_for'])
      .where('scheduled_for', '>', '2026-03-29T01:00:00.000Z')
      .execute();
    expect(rows.map((r) => new Date(r.scheduled_for).toISOString())).toEqual(['2026-03-29T01:00:00.001Z']);
    const ordered = await store.db
      .selectFrom('scheduled_batches')
      .select('scheduled_for')
      .orderBy('scheduled_for')
      .execute();
    expect(ordered.map((r) => new Date(r.scheduled_for).toISOString())).toEqual([...instants].sort());
    const count = await store.db
      .selectFrom('scheduled_batches')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(4);
  });
});
