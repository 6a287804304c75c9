import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import { createScheduler, type Scheduler, type SchedulerOptions, type Transport } from '../src/index.js';
import { postgresStore } from '../src/postgres/index.js';
import { sqliteStore } from '../src/sqlite/index.js';
import type { TickworkStore } from '../src/store/store.js';

export interface BenchRow {
  bench: string;
  backend: string;
  metric: string;
  value: number;
  unit: string;
  note?: string;
}

export const PG_URL =
  process.env.TICKWORK_BENCH_PG ?? process.env.TICKWORK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export const QUICK = process.env.TICKWORK_BENCH_QUICK === '1';

/**
 * SQLite's `synchronous` for the raw baseline and the store alike (TICKWORK_BENCH_SQLITE_SYNC).
 * Default FULL, the store's own default: a commit survives power loss. NORMAL skips the fsync
 * per commit in WAL mode (still safe against a process crash).
 */
const SQLITE_SYNC = (() => {
  const value = (process.env.TICKWORK_BENCH_SQLITE_SYNC ?? 'FULL').toUpperCase();
  if (value !== 'OFF' && value !== 'NORMAL' && value !== 'FULL' && value !== 'EXTRA') {
    throw new Error(`TICKWORK_BENCH_SQLITE_SYNC: one of OFF, NORMAL, FULL, EXTRA, got '${value}'`);
  }
  return value;
})();

export type BenchBackend = 'sqlite' | 'postgres';

/** A fresh database for one measurement, with raw access for baselines. */
export interface BenchDatabase {
  backend: BenchBackend;
  store(): TickworkStore;
  /** Runs plain SQL on a connection of its own (the raw baselines). */
  rawSqlite?: InstanceType<typeof Database>;
  rawPg?: pg.Pool;
  /** SQLite: the database file. */
  path?: string;
  /** Postgres: the schema every table of this database lives in. */
  schema?: string;
  /**
   * A store whose every statement is reported to `onQuery` (SQL and parameters), for counting
   * statements and explaining them. Slower than `store()`; never used for a timed figure.
   */
  loggedStore(onQuery: (sql: string, parameters: readonly unknown[]) => void): TickworkStore;
  /** Plain SQL on the raw connection (SQLite: synchronous underneath). */
  exec(sql: string, parameters?: unknown[]): Promise<void>;
  /** Plain SQL returning rows. */
  query<T>(sql: string, parameters?: unknown[]): Promise<T[]>;
  destroy(): Promise<void>;
}

function logger(onQuery: (sql: string, parameters: readonly unknown[]) => void) {
  return (event: LogEvent) => {
    if (event.level === 'query') onQuery(event.query.sql, event.query.parameters);
  };
}

export async function benchDatabase(backend: BenchBackend): Promise<BenchDatabase> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tickwork-bench-'));
    const path = join(dir, 'bench.db');
    const stores: TickworkStore[] = [];
    const raw = new Database(path);
    raw.pragma('journal_mode = WAL');
    raw.pragma('busy_timeout = 5000');
    raw.pragma(`synchronous = ${SQLITE_SYNC}`);
    return {
      backend,
      rawSqlite: raw,
      path,
      store() {
        const store = sqliteStore(path, { synchronous: SQLITE_SYNC });
        stores.push(store);
        return store;
      },
      loggedStore(onQuery) {
        const db = new Kysely<unknown>({
          dialect: new SqliteDialect({ database: new Database(path) }),
          log: logger(onQuery),
        });
        const store = sqliteStore(db, { synchronous: SQLITE_SYNC });
        stores.push({ ...store, close: () => db.destroy() });
        return store;
      },
      async exec(sql, parameters = []) {
        raw.prepare(sql).run(...parameters);
      },
      async query<T>(sql: string, parameters: unknown[] = []) {
        return raw.prepare(sql).all(...parameters) as T[];
      },
      async destroy() {
        for (const s of stores) await s.close();
        raw.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `tw_bench_${Math.random().toString(16).slice(2, 10)}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  await pool.query(`create schema ${schema}`);
  const rawPool = new pg.Pool({ connectionString: PG_URL, max: 2, options: `-c search_path=${schema}` });
  const pools: pg.Pool[] = [];
  const kyselys: Kysely<unknown>[] = [];
  return {
    backend,
    rawPg: rawPool,
    schema,
    store() {
      const p = new pg.Pool({ connectionString: PG_URL, max: 4 });
      pools.push(p);
      return postgresStore(p, { schema });
    },
    loggedStore(onQuery) {
      const p = new pg.Pool({ connectionString: PG_URL, max: 4 });
      const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: p }), log: logger(onQuery) });
      kyselys.push(db);
      return postgresStore(db, { schema });
    },
    async exec(sql, parameters = []) {
      await rawPool.query(sql, parameters);
    },
    async query<T>(sql: string, parameters: unknown[] = []) {
      return (await rawPool.query(sql, parameters)).rows as T[];
    },
    async destroy() {
      for (const p of pools) await p.end();
      for (const k of kyselys) await k.destroy();
      await rawPool.end();
      await pool.query(`drop schema ${schema} cascade`);
      await pool.end();
    },
  };
}

export const noopTransport: Transport = { send: () => undefined };

export async function migratedScheduler(
  db: BenchDatabase,
  options: SchedulerOptions = {},
  transport: Transport = noopTransport,
): Promise<Scheduler> {
  const scheduler = createScheduler({ store: db.store(), transport, options });
  await scheduler.migrate();
  return scheduler;
}

/**
 * Integers 1..n as a row source `(select i from ...)`: generate_series on Postgres, a
 * recursive CTE on SQLite (better-sqlite3 builds have no generate_series).
 */
export function series(backend: BenchBackend, n: number): string {
  if (!Number.isInteger(n) || n < 0) throw new Error(`series: bad size ${n}`);
  return backend === 'postgres'
    ? `(select g as i from generate_series(1, ${n}) g) s`
    : `(with recursive g(i) as (select 1 union all select i + 1 from g where i < ${n}) select i from g) s`;
}

export function formatTable(rows: BenchRow[]): string {
  const header = ['bench', 'backend', 'metric', 'value', 'unit', 'note'];
  const cells = rows.map((r) => [r.bench, r.backend, r.metric, formatNumber(r.value), r.unit, r.note ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(n < 1 ? 3 : 2);
}

export function seconds(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The 1, 5 and 15 minute load averages, e.g. `2.91 / 4.14 / 5.67`. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

export function mib(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

/** Counts statements by their leading words, for "statements per row" figures. */
export class StatementCounter {
  readonly counts = new Map<string, number>();
  total = 0;

  readonly onQuery = (sql: string) => {
    this.total++;
    const key = statementLabel(sql);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  };

  reset(): void {
    this.counts.clear();
    this.total = 0;
  }

  /** `12 × update tickwork_outbox, 3 × begin immediate, ...`, most frequent first. */
  summary(limit = 8): string {
    return [...this.counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([k, n]) => `${n} × ${k}`)
      .join(', ');
  }
}

/** `update tickwork_outbox`, `select sequence_enrollments`, `begin immediate`: what a statement is. */
export function statementLabel(sql: string): string {
  const text = sql
    .replace(/"[a-z0-9_]+"\./g, '')
    .replace(/"/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
  const verb = text.split(' ')[0] ?? '';
  const table =
    verb === 'select'
      ? /\bfrom ([a-z0-9_]+)/.exec(text)?.[1]
      : verb === 'update'
        ? /^update ([a-z0-9_]+)/.exec(text)?.[1]
        : verb === 'insert'
          ? /^insert into ([a-z0-9_]+)/.exec(text)?.[1]
          : verb === 'delete'
            ? /^delete from ([a-z0-9_]+)/.exec(text)?.[1]
            : text.split(' ').slice(1, 2).join(' ');
  return `${verb} ${table ?? ''}`.trim();
}
