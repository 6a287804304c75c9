import { createScheduler, type Scheduler, type SchedulerOptions } from '../../src/index.js';
import { CapturingTransport, FakeClock } from '../../src/testing/index.js';
import type { Backend, TestDatabase } from '../support/backends.js';
import { START } from '../support/harness.js';

/*
 * Shared by the hostile-input suites: a seeded database per backend, a byte-exact dump of
 * every table tickwork owns, and a renderer that can print any generated value (BigInt,
 * cyclic objects, lone surrogates) in a failure message.
 */

/** Fixed unless overridden, and printed by every suite, so a failure can be replayed. */
export const SEED = Number(process.env.TICKWORK_FUZZ_SEED ?? 20260302);

export interface SeedIds {
  campaignId: number;
  runId: number;
  sequenceId: number;
  stepIds: number[];
  enrollmentIds: number[];
  batchId: number;
  /** The host campaign id the seeded batches belong to. */
  batchCampaignId: number;
  /** A direct delivery that is still pending (cancelling it would change its row). */
  pendingKey: string;
  /** A direct delivery already sent. */
  sentKey: string;
}

export interface World {
  database: TestDatabase;
  scheduler: Scheduler;
  transport: CapturingTransport;
  clock: FakeClock;
  ids: SeedIds;
  /** A dump of every table in tickwork's schema (or SQLite file), row by row. */
  dump(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A migrated scheduler on a fresh database of `backend`, seeded with one of everything
 * (direct deliveries sent and pending, a campaign with a run, a sequence with steps and
 * enrollments, timezone batches), so every table has rows a bad call could disturb.
 *
 * Like test/support/harness.ts's `setup`, but owned by the caller (closed in afterAll), so
 * one seeded database serves every test of a backend.
 */
export async function openWorld(backend: Backend, options: SchedulerOptions = {}): Promise<World> {
  const database = await backend.create();
  const clock = new FakeClock(START);
  const transport = new CapturingTransport();
  const scheduler = createScheduler({
    store: database.openStore(),
    transport,
    recipientSources: { crm: async () => [{ email: 'crm@example.org' }] },
    options: { clock: clock.now, random: () => 0.5, ...options },
  });
  try {
    await scheduler.migrate();
    const ids = await seed(scheduler, clock);
    const dump = await dumper(database);
    return {
      database,
      scheduler,
      transport,
      clock,
      ids,
      dump,
      async close() {
        await scheduler.close();
        await database.destroy();
      },
    };
  } catch (error) {
    await scheduler.close().catch(() => undefined);
    await database.destroy().catch(() => undefined);
    throw error;
  }
}

async function seed(scheduler: Scheduler, clock: FakeClock): Promise<SeedIds> {
  await scheduler.deliveries.enqueue({
    idempotencyKey: 'seed-sent',
    to: 'sent@example.org',
    subject: 'Sent before the fuzz',
  });
  await scheduler.deliveries.enqueue({
    idempotencyKey: 'seed-future',
    to: 'future@example.org',
    subject: 'Due later',
    dueAt: new Date('2026-04-01T00:00:00Z'),
  });
  const campaign = await scheduler.recurring.create({
    name: 'Seed campaign',
    subject: 'Weekly',
    templateId: 3,
    recipientSource: 'static',
    recipientData: ['ann@example.org', { email: 'bob@example.org', name: 'Bob' }],
    scheduleCron: '0 9 * * 1',
    timezone: 'Europe/Berlin',
  });
  const run = await scheduler.recurring.runNow(campaign.id);
  const sequence = await scheduler.sequences.create({
    name: 'Seed sequence',
    timezone: 'America/New_York',
    steps: [
      { subject: 'Welcome', templateId: 1 },
      { subject: 'Tips', templateId: 2, delayDays: 2, sendTime: '09:00' },
    ],
  });
  const first = await scheduler.sequences.enrollRecipient(sequence.id, 'ann@example.org', { name: 'Ann' });
  const second = await scheduler.sequences.enrollRecipient(sequence.id, 'bob@example.org', {
    name: 'Bob',
    timezone: 'Europe/Berlin',
  });
  const batchCampaignId = 42;
  const batches = await scheduler.batches.createTimezoneBatches(
    batchCampaignId,
    [
      { email: 'a@example.org', timezone: 'Asia/Kolkata' },
      { email: 'b@example.org', timezone: 'Europe/London' },
      { email: 'c@example.org' },
    ],
    { time: '09:00', date: '2026-03-10' },
    { message: { subject: 'Spring sale', templateId: 7 } },
  );
  // Sends the direct delivery, resolves the manual run and queues and sends the first steps.
  let summary;
  do summary = await scheduler.tick(clock.now());
  while (summary.moreDue);
  await scheduler.deliveries.enqueue({
    idempotencyKey: 'seed-pending',
    to: 'pending@example.org',
    subject: 'Still pending',
  });
  return {
    campaignId: campaign.id,
    runId: run.id,
    sequenceId: sequence.id,
    stepIds: sequence.steps.map((s) => s.id),
    enrollmentIds: [first.enrollment.id, second.enrollment.id],
    batchId: batches.batches[0]!.id,
    batchCampaignId,
    pendingKey: 'seed-pending',
    sentKey: 'seed-sent',
  };
}

/**
 * Every table of the database (tickwork's tables and its migration tables), each row in a
 * stable order, as one string: equal strings mean no stored row changed. One statement per
 * dump.
 */
export async function dumper(database: TestDatabase): Promise<() => Promise<string>> {
  if (database.location.kind === 'sqlite') {
    // sqlite_sequence is left out, like Postgres's identity sequences: an insert that ends in
    // ON CONFLICT DO NOTHING still draws an id there, and it holds no row of tickwork's.
    const tables = await database.raw<{ name: string }>(
      "select name from sqlite_master where type = 'table' and name <> 'sqlite_sequence' order by name",
    );
    const parts: string[] = [];
    for (const { name } of tables) {
      const columns = await database.raw<{ name: string }>(
        `select name from pragma_table_info('${name}') order by cid`,
      );
      // quote() renders each value with its storage class, so 1 and '1' differ in the dump.
      const row = columns.map((c) => `quote("${c.name}")`).join(" || '|' || ");
      parts.push(
        `select '${name}' as t, coalesce((select group_concat(r, char(10)) from ` +
          `(select ${row} as r from "${name}" order by rowid)), '') as d`,
      );
    }
    const query = parts.join(' union all ');
    return async () => JSON.stringify(await database.raw(query));
  }
  const tables = await database.raw<{ name: string }>(
    'select table_name as name from information_schema.tables ' +
      "where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1",
  );
  const query = tables
    .map(
      ({ name }) =>
        `select '${name}' as t, (select coalesce(string_agg(x::text, E'\\n' order by x::text), '') from "${name}" x) as d`,
    )
    .join(' union all ');
  return async () => JSON.stringify(await database.raw(query));
}

/** The table names a dump covers, for the printed figures. */
export function dumpedTables(dump: string): string[] {
  return (JSON.parse(dump) as Array<{ t: string }>).map((r) => r.t);
}

/** A short, printable rendering of any value, including the hostile ones. */
export function render(value: unknown, max = 90): string {
  const text = renderFull(value);
  return text.length > max ? `${text.slice(0, max - 12)}…(${text.length} chars)` : text;
}

function renderFull(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return '<function>';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return quote(value);
  if (value instanceof Date) {
    try {
      return Number.isNaN(value.getTime()) ? 'Date(Invalid)' : `Date(${value.toISOString()})`;
    } catch {
      return 'Date(<not a real Date>)';
    }
  }
  if (value instanceof Map) return `Map(${value.size})`;
  if (value instanceof Set) return `Set(${render([...value], 60)})`;
  if (typeof value === 'object' && value !== null && Symbol.asyncIterator in value) return '<async iterable>';
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, function (this: unknown, _key, v: unknown) {
      if (typeof v === 'bigint') return `${v}n`;
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '<cycle>';
        seen.add(v);
      }
      return v;
    });
  } catch (error) {
    return `<unrenderable ${(error as Error).message}>`;
  }
}

/** JSON-quoted, with very long runs of one character shortened ('x'×5001). */
function quote(value: string): string {
  const runs = value.replace(/(.)\1{15,}/gs, (run, ch: string) => `${ch}×${run.length}`);
  return JSON.stringify(runs);
}

/** A fresh object that contains itself. */
export function cyclic(): Record<string, unknown> {
  const value: Record<string, unknown> = { name: 'loop' };
  value.self = value;
  return value;
}

/** An object whose own key is `__proto__` (as JSON.parse makes one), carrying `payload`. */
export function protoKey(payload: Record<string, unknown> = { polluted: 'yes' }): Record<string, unknown> {
  return JSON.parse(`{"__proto__": ${JSON.stringify(payload)}}`) as Record<string, unknown>;
}

/** The own keys of Object.prototype, to prove no input polluted it. */
export function prototypeFingerprint(): string {
  return Object.getOwnPropertyNames(Object.prototype).sort().join(',');
}
