import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
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

export type BenchBackend = 'sqlite' | 'postgres';

/** A fresh database for one measurement, with raw access for baselines. */
export interface BenchDatabase {
  backend: BenchBackend;
  store(): TickworkStore;
  /** Runs plain SQL on a connection of its own (the raw baselines). */
  rawSqlite?: InstanceType<typeof Database>;
  rawPg?: pg.Pool;
  schema?: string;
  destroy(): Promise<void>;
}

export async function benchDatabase(backend: BenchBackend): Promise<BenchDatabase> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tickwork-bench-'));
    const path = join(dir, 'bench.db');
    const stores: TickworkStore[] = [];
    const raw = new Database(path);
    raw.pragma('journal_mode = WAL');
    raw.pragma('busy_timeout = 5000');
    return {
      backend,
      rawSqlite: raw,
      store() {
        const store = sqliteStore(path);
        stores.push(store);
        return store;
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
  return {
    backend,
    rawPg: rawPool,
    schema,
    store() {
      const p = new pg.Pool({ connectionString: PG_URL, max: 4 });
      pools.push(p);
      return postgresStore(p, { schema });
    },
    async destroy() {
      for (const p of pools) await p.end();
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

export function formatTable(rows: BenchRow[]): string {
  const header = ['bench', 'backend', 'metric', 'value', 'unit', 'note'];
  const cells = rows.map((r) => [r.bench, r.backend, r.metric, formatNumber(r.value), r.unit, r.note ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(n < 1 ? 3 : 2);
}

export function seconds(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}
