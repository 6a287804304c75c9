import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  sql,
  PostgresQueryCompiler,
  SqliteQueryCompiler,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createScheduler, ValidationError, type Scheduler } from '../../src/index.js';
import { postgresStore } from '../../src/postgres/index.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { CapturingTransport, FakeClock } from '../../src/testing/index.js';
import { backends, type TestDatabase } from '../support/backends.js';
import { START } from '../support/harness.js';
import { dumpedTables, dumper } from './support.js';

/*
 * Issue #8, "no SQL is built from input strings", three ways:
 *  1. SQL-looking text in every stored string field (names, subjects, keys, recipient data
 *     keys and values, reasons, a host source's name) is stored and read back verbatim,
 *     reaches the transport verbatim, matches nothing when used as a filter, and every
 *     table is still there afterwards — on every backend.
 *  2. Every statement the library sends is recorded (a Kysely plugin compiling each query
 *     as the dialect does): no input string ever appears in SQL text, only in parameters.
 *  3. A static pass over src/: every place that writes SQL text itself (sql.raw, sql.lit,
 *     pragmas, prepare) is on a reviewed allow-list that says why its input is safe.
 */

/** Each begins with a marker, so any statement that carried input text can be found. */
const MARK = 'zqmark';
const ATTACKS = [
  `'; DROP TABLE tickwork_outbox; --`,
  `Robert'); DROP TABLE sequences;--`,
  `" OR 1=1 --`,
  `' OR '1'='1`,
  `\\'; DROP TABLE recurring_campaigns; --`,
  `C:\\new\\table\\x00\\`,
  `\\`,
  `$1`,
  `$1::text); select pg_sleep(5); --`,
  `?`,
  `?1 :name @p1 $name`,
  `%_%`,
  '`x`; [y]; /* z */ -- w',
  `E'\\\\x27' || chr(39) || char(39)`,
  `'' '' ''`,
  `\u2019); DELETE FROM sequence_steps; --`,
  `'; UPDATE tickwork_outbox SET status = 'sent'; --`,
  `"); DROP TABLE "scheduled_batches"; --`,
];
const STRINGS = ATTACKS.map((attack, k) => `${MARK}${k} ${attack}`);

/** Records the SQL text of every statement, compiled as the dialect compiles it. */
class RecordSql implements KyselyPlugin {
  readonly statements: string[] = [];
  constructor(private readonly compiler: QueryCompiler) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.statements.push(this.compiler.compileQuery(args.node, args.queryId).sql);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

interface Env {
  database: TestDatabase;
  /** The store's Kysely with the recorder, as the scheduler uses it. */
  db: Kysely<unknown>;
  scheduler: Scheduler;
  transport: CapturingTransport;
  recorder: RecordSql;
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function open(backend: (typeof backends)[number]): Promise<Env> {
  const database = await backend.create();
  cleanups.push(() => database.destroy());
  const store = database.openStore();
  const recorder = new RecordSql(
    store.adapter.dialect === 'sqlite' ? new SqliteQueryCompiler() : new PostgresQueryCompiler(),
  );
  const transport = new CapturingTransport();
  const clock = new FakeClock(START);
  // A host source for every attack string, named by it, answering with it.
  const recipientSources = Object.fromEntries(
    STRINGS.map((text, k) => [
      text,
      async (data: unknown) => [{ email: `host'${k}@example.org`, name: text, echo: data }],
    ]),
  );
  const db = store.db.withPlugin(recorder);
  const scheduler = createScheduler({
    store: { ...store, db },
    transport,
    recipientSources,
    options: { clock: clock.now, random: () => 0.5 },
  });
  cleanups.push(() => scheduler.close());
  await scheduler.migrate();
  return { database, db: db as unknown as Kysely<unknown>, scheduler, transport, recorder };
}

async function tickAll(scheduler: Scheduler, at: Date): Promise<void> {
  let summary;
  do summary = await scheduler.tick(at);
  while (summary.moreDue);
}

describe.each(backends)('SQL-looking strings on $name', (backend) => {
  it('are stored, read back and sent verbatim in every string field, match nothing as filters, and drop no table', async () => {
    const { database, db, scheduler, transport, recorder } = await open(backend);
    const dump = await dumper(database);
    const tablesBefore = dumpedTables(await dump());
    let checked = 0;
    const same = (actual: unknown, expected: unknown, what: string) => {
      checked++;
      expect(actual, what).toEqual(expected);
    };

    const sequence = await scheduler.sequences.create({ name: 'Holder', steps: [{ subject: 'Hi' }] });
    const entities = [] as Array<{
      k: number;
      text: string;
      campaignId: number;
      runCampaign: number;
      sequenceId: number;
      enrollmentId: number;
      batchId: number;
    }>;

    for (const [k, text] of STRINGS.entries()) {
      const data = { name: text, [text]: text, nested: { note: text, list: [text] } };
      // Direct deliveries: the key, the subject, the recipient's keys and values, a quoted address.
      await scheduler.deliveries.enqueue({
        idempotencyKey: text,
        to: `o'brien${k}@example.org`,
        cc: [`x'--${k}@example.org`],
        subject: text,
        recipient: data,
      });
      await scheduler.deliveries.enqueue({
        idempotencyKey: `${text}#cancel`,
        to: `o'brien${k}@example.org`,
        subject: text,
        dueAt: new Date('2026-04-01T00:00:00Z'),
      });
      same(await scheduler.deliveries.cancel(`${text}#cancel`, text), true, 'cancel by an attack key');
      const cancelled = await scheduler.deliveries.get(`${text}#cancel`);
      same(cancelled?.lastError, text, 'cancel reason');
      const direct = await scheduler.deliveries.get(text);
      same(direct?.idempotencyKey, text, 'idempotency key');
      same(direct?.message.subject, text, 'delivery subject');
      same(
        direct?.message.recipient,
        { ...data, email: `o'brien${k}@example.org` },
        'delivery recipient data',
      );
      same(direct?.message.cc, [`x'--${k}@example.org`], 'delivery cc');

      // Recurring: name, subject, static recipient data; and a host source named by the attack.
      const campaign = await scheduler.recurring.create({
        name: text,
        subject: text,
        recipientSource: 'static',
        recipientData: [{ email: `o'neil${k}@example.org`, name: text, [text]: text }],
        scheduleCron: '0 9 * * 1',
      });
      const readCampaign = await scheduler.recurring.get(campaign.id);
      same([readCampaign.name, readCampaign.subject], [text, text], 'campaign name and subject');
      same(
        readCampaign.recipientData,
        [{ email: `o'neil${k}@example.org`, name: text, [text]: text }],
        'campaign data',
      );
      const hosted = await scheduler.recurring.create({
        name: `hosted ${k}`,
        subject: text,
        recipientSource: text,
        recipientData: { query: text },
        scheduleCron: '0 9 * * 1',
      });
      same((await scheduler.recurring.get(hosted.id)).recipientSource, text, 'host source name');
      await scheduler.recurring.runNow(hosted.id);

      // Sequences: name, description, step subject, enrollment data, cancel reason.
      const seq = await scheduler.sequences.create({
        name: text,
        description: text,
        steps: [{ subject: text }],
      });
      const readSeq = await scheduler.sequences.get(seq.id);
      same(
        [readSeq.name, readSeq.description, readSeq.steps[0]!.subject],
        [text, text, text],
        'sequence texts',
      );
      const { enrollment } = await scheduler.sequences.enrollRecipient(
        sequence.id,
        `q'${k}@example.org`,
        data,
      );
      same(enrollment.recipientData, data, 'enrollment data');
      const { enrollment: toCancel } = await scheduler.sequences.enrollRecipient(
        seq.id,
        `c'${k}@example.org`,
      );
      same(
        (await scheduler.sequences.cancelEnrollment(toCancel.id, text)).statusReason,
        text,
        'enrollment reason',
      );

      // Timezone batches: recipient data, message subject, cancel reason.
      const batches = await scheduler.batches.createTimezoneBatches(
        500 + k,
        [{ email: `b'${k}@example.org`, timezone: 'Asia/Tokyo', ...data }],
        { time: '09:00', date: '2026-03-10' },
        { message: { subject: text } },
      );
      const batchId = batches.batches[0]!.id;
      same((await scheduler.batches.get(batchId)).message.subject, text, 'batch subject');
      const listed = await scheduler.batches.listRecipients(batchId);
      same(
        listed.items[0]!.recipient,
        { email: `b'${k}@example.org`, timezone: 'Asia/Tokyo', ...data },
        'batch recipient',
      );
      entities.push({
        k,
        text,
        campaignId: campaign.id,
        runCampaign: hosted.id,
        sequenceId: seq.id,
        enrollmentId: enrollment.id,
        batchId,
      });
    }
    // One cancelled batch per attack (the last one keeps its batch pending).
    for (const { text, batchId } of entities.slice(0, -1)) {
      same((await scheduler.batches.cancel(batchId, { reason: text })).statusReason, text, 'batch reason');
    }

    // As filters, the attacks match nothing (no LIKE, no concatenation) and break nothing.
    for (const text of [...STRINGS, ...ATTACKS, '%', '_', '*']) {
      same(await scheduler.deliveries.list({ sourceType: text }), [], `list sourceType ${text}`);
      same(
        Object.values(await scheduler.deliveries.counts({ sourceType: text })),
        [0, 0, 0, 0, 0, 0],
        `counts ${text}`,
      );
      same(
        (await scheduler.sequences.listEnrollments(sequence.id, { email: text })).total,
        0,
        `enrollments ${text}`,
      );
      if (!STRINGS.includes(text)) same(await scheduler.deliveries.get(text), undefined, `get ${text}`);
    }

    // Through the transport: the direct sends, the steps, the host-source runs.
    await tickAll(scheduler, new Date(START));
    for (const { k, text } of entities) {
      const direct = transport.sent.find((s) => s.idempotencyKey === text);
      same([direct?.message.subject, direct?.message.recipient.name], [text, text], 'sent direct message');
      const step = transport.sent.find((s) => s.message.to === `q'${k}@example.org`);
      same(step?.message.recipient[text], text, 'sent step recipient data');
      const hostedSend = transport.sent.find((s) => s.message.to === `host'${k}@example.org`);
      same(
        [hostedSend?.message.subject, hostedSend?.message.recipient.name],
        [text, text],
        'host source send',
      );
      same(hostedSend?.message.recipient.echo, { query: text }, 'host source got its data verbatim');
    }

    // Every table survived, with rows in it.
    const after = await dump();
    expect(dumpedTables(after)).toEqual(tablesBefore);
    for (const table of tablesBefore.filter((t) => !t.startsWith('tickwork_migration'))) {
      const [row] = await database.raw<{ n: number | string }>(`select count(*) as n from ${table}`);
      expect(Number(row!.n), `${table} has rows`).toBeGreaterThan(0);
    }

    // No statement carried input text: every attack travelled as a bound parameter.
    const leaked = recorder.statements.filter((statement) => statement.includes(MARK));
    // Control: the recorder does see text spliced into SQL, and not text bound as a value.
    const probe = `${MARK}-control`;
    await sql`select ${probe} as bound`.execute(db);
    expect(recorder.statements.filter((statement) => statement.includes(MARK))).toEqual(leaked);
    await sql.raw(`select '${probe}' as spliced`).execute(db);
    expect(recorder.statements.at(-1)).toContain(probe);
    console.log(
      `sql-strings on ${backend.name}: ${STRINGS.length} attack strings, ${checked} verbatim checks, ` +
        `${transport.sent.length} sends, ${recorder.statements.length} statements recorded, ` +
        `${leaked.length} with input text in SQL, ${tablesBefore.length} tables intact`,
    );
    expect(recorder.statements.length).toBeGreaterThan(100);
    expect(leaked.slice(0, 3)).toEqual([]);
  });
});

describe('store options that reach SQL text', () => {
  /** The ValidationError `fn` throws at once, or a description of what it did instead. */
  function thrown(fn: () => unknown): ValidationError | string {
    try {
      fn();
      return 'did not throw';
    } catch (error) {
      return error instanceof ValidationError ? error : `threw ${String(error)}`;
    }
  }

  it('sqliteStore refuses a `synchronous` outside its enum and a bad busyTimeoutMs (both go into a PRAGMA)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwork-hostile-'));
    try {
      const path = join(dir, 'pragma.db');
      const cases: Array<[string, unknown]> = [
        ...['OFF; DROP TABLE tickwork_outbox', 'FULL --', 'bogus', '', 5].map((value): [string, unknown] => [
          'synchronous',
          value,
        ]),
        ...[-1, 1.5, '5000; DROP TABLE x', Number.NaN].map((value): [string, unknown] => [
          'busyTimeoutMs',
          value,
        ]),
      ];
      for (const [option, value] of cases) {
        const error = thrown(() => sqliteStore(path, { [option]: value }));
        expect(
          typeof error === 'string' ? error : error.issues.map((i) => i.path),
          `${option}=${String(value)}`,
        ).toEqual([option]);
      }
      const store = sqliteStore(path, { synchronous: 'NORMAL', busyTimeoutMs: 100 });
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('postgresStore refuses a schema that is not a plain identifier', () => {
    for (const schema of ['public; drop table x', 'a"b', 'with space', '', '1abc', 'x'.repeat(64)]) {
      const error = thrown(() => postgresStore('postgres://nobody@127.0.0.1:1/none', { schema }));
      expect(typeof error === 'string' ? error : error.issues.map((i) => i.path), schema).toEqual(['schema']);
    }
  });
});

// --- static pass over src/ --------------------------------------------------------------

interface Allowed {
  file: string;
  /** Matches the source line of the site. */
  line: RegExp;
  why: string;
}

/**
 * Every place in src/ that writes SQL text itself instead of binding a value. Each entry
 * says why what reaches the text cannot come from input (or is validated first). A new
 * site fails the test until it is reviewed and listed here; an entry with no site left
 * fails too, so the list stays true.
 */
const ALLOWED: Allowed[] = [
  {
    file: 'src/delivery/outbox.ts',
    line: /CLAIMABLE_STATUSES\.map\(\(status\) => sql\.lit\(status\)\)/,
    why: 'literals of the constant CLAIMABLE_STATUSES, inlined so the partial claim index applies',
  },
  {
    file: 'src/engines/recurring/repository.ts',
    line: /OPEN_RUN_STATUSES\.map\(\(status\) => sql\.lit\(status\)\)/,
    why: 'literals of the constant OPEN_RUN_STATUSES (partial index predicate)',
  },
  {
    file: 'src/engines/sequences/repository.ts',
    line: /sql`when \$\{sql\.lit\(id\)\} then \$\{sql\.lit\(index \+ 1\)\}`/,
    why:
      'assignOrders(orderedIds: readonly number[]): ids read from sequence_steps, or reorderSteps input ' +
      'after idSchema (integers 1..2^31-1) and a check that each is a step of the sequence; index+1 is a loop counter',
  },
  {
    file: 'src/engines/sequences/repository.ts',
    line: /sql\.join\(cases, sql` `\)/,
    why: 'joins the fragments above',
  },
  {
    file: 'src/sqlite/index.ts',
    line: /sql\.raw\(`pragma \$\{pragma\}`\)/,
    why:
      'pragmas are constants, busy_timeout (checked Number.isInteger and >= 0) and synchronous (checked ' +
      'against its four names); see the sqliteStore test above',
  },
  {
    file: 'src/sqlite/index.ts',
    line: /handle\.pragma\(`busy_timeout = \$\{busyTimeoutMs\}`\)/,
    why: 'busyTimeoutMs is checked to be a non-negative integer first',
  },
  {
    file: 'src/sqlite/index.ts',
    line: /handle\.pragma\('(foreign_keys = ON|journal_mode = WAL)'\)/,
    why: 'constant pragmas',
  },
  {
    file: 'src/sqlite/index.ts',
    line: /handle\.pragma\(`synchronous = \$\{synchronous\}`\)/,
    why: 'synchronous is checked against OFF/NORMAL/FULL/EXTRA first',
  },
  {
    file: 'src/sqlite/index.ts',
    line: /statement = handle\.prepare\(text\)/,
    why: "the statement cache prepares Kysely's compiled SQL (values stay parameters)",
  },
];

/** Constructs that put text into SQL rather than binding it. */
const SITE = new RegExp(
  [
    String.raw`\bsql\.(raw|lit|id|table|ref|join)\s*\(`,
    String.raw`\b(handle|db|database|client|pool|conn|connection|pglite|trx|executor)\.(exec|query|prepare|pragma)\s*\(`,
    String.raw`CompiledQuery\.raw\s*\(`,
    String.raw`\.executeQuery\s*\(`,
  ].join('|'),
);
/** An identifier or literal written in the source itself: sql.ref('id'), sql.lit(':'). */
const SOURCE_LITERAL = /\bsql\.(ref|lit)\(\s*'[^'`$]*'\s*\)/g;
/** A template literal or string concatenation that starts like SQL and splices a value in. */
const SPLICED_SQL = [
  /(^|[^\w>])`\s*(select|insert|update|delete|with|pragma|create|drop|alter|begin|commit|set|vacuum|attach)\b[^`]*\$\{/i,
  /['"]\s*(select|insert|update|delete|pragma)\b[^'"]*['"]\s*\+/i,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Whether the static pass flags a line of code. */
function flags(code: string): boolean {
  const rest = code.replace(SOURCE_LITERAL, '');
  return SITE.test(rest) || SPLICED_SQL.some((p) => p.test(rest));
}

describe('static: SQL text in src/', () => {
  it('the pass flags SQL built from values and not bound values (control)', () => {
    for (const bad of [
      'await sql.raw(`select * from t where name = ${name}`).execute(db);',
      "const q = 'select * from t where id = ' + id;",
      'const text = `delete from ${table}`;',
      'await client.query(`update t set a = ${a}`);',
      'sql`x`.where(sql.ref(column), "=", 1);',
      'return sql.lit(input.status);',
      'handle.exec(script);',
      'CompiledQuery.raw(text)',
    ]) {
      expect(flags(bad), bad).toBe(true);
    }
    for (const good of [
      "db.selectFrom('t').where('name', '=', name)",
      "sql<number>`${sql.ref('id')} = ${value}`",
      'sql`begin immediate`.execute(conn)',
      'const m = TIME_OF_DAY.exec(value);',
      'throw new Error(`unknown zone ${zone}`);',
    ]) {
      expect(flags(good), good).toBe(false);
    }
  });

  it('is written only where the allow-list says why no input can reach it', () => {
    const root = join(import.meta.dirname, '..', '..');
    const sites: Array<{ file: string; line: number; text: string }> = [];
    for (const path of sourceFiles(join(root, 'src'))) {
      const file = relative(root, path).split('\\').join('/');
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((text, index) => {
          const code = text.trim();
          if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return;
          if (flags(code)) sites.push({ file, line: index + 1, text: code });
        });
    }
    const unreviewed = sites.filter((s) => !ALLOWED.some((a) => a.file === s.file && a.line.test(s.text)));
    const stale = ALLOWED.filter((a) => !sites.some((s) => s.file === a.file && a.line.test(s.text)));
    console.log(
      `static SQL pass: ${sites.length} sites write SQL text, all on the allow-list:\n` +
        sites.map((s) => `  ${s.file}:${s.line}  ${s.text.slice(0, 100)}`).join('\n'),
    );
    expect(unreviewed.map((s) => `${s.file}:${s.line}  ${s.text}`)).toEqual([]);
    expect(stale.map((a) => `${a.file} ${a.line}`)).toEqual([]);
  });
});
