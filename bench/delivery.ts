/*
 * Delivery throughput against the physical limit.
 *
 * The raw limit is plain SQL on the same table, the same indexes and the same driver:
 * claim 500 due rows (Postgres: FOR UPDATE SKIP LOCKED) in one autocommitted statement, mark
 * them sent in another. The tick is tickwork's delivery phase over the same rows with a no-op
 * transport and claims of 500 (`delivery.concurrency`).
 *
 * The machine is shared and noisy, so the two are interleaved finely: the table is filled
 * with 2 × N due rows, and raw and tick take turns draining it, a slice at a time (one tick
 * with `maxPerTick` = slice; the same number of rows by raw SQL), alternating who goes first,
 * until each has done N. Both see the same table, the same due backlog and the same load;
 * the ratio is raw time / tick time over all slices.
 */
import { createScheduler, type OutgoingMessage, type Scheduler } from '../src/index.js';
import { writeDate } from '../src/store/codec.js';
import {
  benchDatabase,
  median,
  migratedScheduler,
  noopTransport,
  seconds,
  StatementCounter,
  type BenchBackend,
  type BenchDatabase,
  type BenchRow,
} from './support.js';

export const CLAIM_BATCH = 500;
const DUE_AT = new Date('2026-01-01T00:00:00Z');
export const DELIVERY_NOW = new Date('2026-01-02T00:00:00Z');

export function benchMessage(i: number): OutgoingMessage {
  return {
    to: `r${i}@example.org`,
    cc: [],
    bcc: [],
    subject: 'Weekly digest',
    templateId: 7,
    recipient: { email: `r${i}@example.org`, name: `Recipient ${i}`, timezone: 'Europe/Berlin' },
    origin: { type: 'direct' },
  };
}

/**
 * Puts `count` outbox rows due at `dueAt` in the table (untimed set-up) with plain SQL, the
 * columns `Outbox.enqueue` writes. Postgres tables are analysed afterwards, as autovacuum
 * would have done on a live system.
 */
export async function fillOutbox(
  db: BenchDatabase,
  count: number,
  prefix: string,
  dueAt = DUE_AT,
): Promise<void> {
  const stamp = writeDate(dueAt);
  if (db.rawSqlite) {
    const raw = db.rawSqlite;
    const insert = raw.prepare(
      `insert into tickwork_outbox (idempotency_key, source_type, source_id, recipient_email, message,
         status, attempts, next_attempt_at, created_at, updated_at)
       values (?, 'direct', null, ?, ?, 'pending', 0, ?, ?, ?)`,
    );
    const fill = raw.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const message = benchMessage(i);
        insert.run(`${prefix}:${i}`, message.to, JSON.stringify(message), stamp, stamp, stamp);
      }
    });
    for (let start = 0; start < count; start += 50_000) fill(start, Math.min(count, start + 50_000));
    return;
  }
  const raw = db.rawPg!;
  for (let start = 0; start < count; start += 10_000) {
    const keys: string[] = [];
    const emails: string[] = [];
    const messages: string[] = [];
    for (let i = start; i < Math.min(count, start + 10_000); i++) {
      const message = benchMessage(i);
      keys.push(`${prefix}:${i}`);
      emails.push(message.to);
      messages.push(JSON.stringify(message));
    }
    await raw.query(
      `insert into tickwork_outbox (idempotency_key, source_type, source_id, recipient_email, message,
         status, attempts, next_attempt_at, created_at, updated_at)
       select k, 'direct', null, e, m::jsonb, 'pending', 0, $4, $4, $4
       from unnest($1::text[], $2::text[], $3::text[]) as t(k, e, m)`,
      [keys, emails, messages, stamp],
    );
  }
  await raw.query('analyze tickwork_outbox');
}

/**
 * The physical limit: claim 500 due rows and mark them done, in plain SQL on the same table,
 * until `limit` rows are done or none is due. Returns the rows done and the seconds taken.
 *
 * Postgres uses `id = any(array(subquery))`: the subquery runs once and the outer update
 * probes the primary key. (`id in (subquery)` lets the planner pick a hash semi-join that
 * scans the whole table for each claim; see RESULTS.md.)
 */
export async function rawClaimDone(
  db: BenchDatabase,
  limit: number,
  now = DELIVERY_NOW,
): Promise<{ rows: number; seconds: number }> {
  const nowText = writeDate(now);
  const lease = writeDate(new Date(now.getTime() + 300_000));
  let total = 0;
  const start = process.hrtime.bigint();
  if (db.rawSqlite) {
    const raw = db.rawSqlite;
    const claim = raw.prepare(
      `update tickwork_outbox set status = 'sending', lease_expires_at = ?, next_attempt_at = ?
       where id in (select id from tickwork_outbox where status in ('pending','retrying','sending')
                    and next_attempt_at <= ? order by next_attempt_at limit ?)
       returning id`,
    );
    const done = raw.prepare(
      `update tickwork_outbox set status = 'sent', sent_at = ? where id in (select value from json_each(?))`,
    );
    while (total < limit) {
      const batch = Math.min(CLAIM_BATCH, limit - total);
      const ids = (claim.all(lease, lease, nowText, batch) as Array<{ id: number }>).map((r) => r.id);
      if (ids.length === 0) break;
      done.run(nowText, JSON.stringify(ids));
      total += ids.length;
    }
  } else {
    const raw = db.rawPg!;
    while (total < limit) {
      const batch = Math.min(CLAIM_BATCH, limit - total);
      const { rows } = await raw.query<{ id: number }>(
        `update tickwork_outbox set status = 'sending', lease_expires_at = $1, next_attempt_at = $1
         where id = any(array(select id from tickwork_outbox where status in ('pending','retrying','sending')
                      and next_attempt_at <= $2 order by next_attempt_at limit $3 for update skip locked))
         returning id`,
        [lease, nowText, batch],
      );
      if (rows.length === 0) break;
      await raw.query(`update tickwork_outbox set status = 'sent', sent_at = $1 where id = any($2::int[])`, [
        nowText,
        rows.map((r) => r.id),
      ]);
      total += rows.length;
    }
  }
  return { rows: total, seconds: seconds(start) };
}

/** The slice each side takes per turn: 5 turns or more each, at most 5000 rows. */
export function sliceFor(size: number): number {
  return Math.max(CLAIM_BATCH, Math.min(5000, Math.floor(size / 5 / CLAIM_BATCH) * CLAIM_BATCH));
}

export const deliveryOptions = (slice: number) => ({
  delivery: { concurrency: CLAIM_BATCH, maxPerTick: slice },
});

/** One tick: up to `maxPerTick` due rows to sent through the no-op transport. */
async function tickSlice(scheduler: Scheduler): Promise<{ rows: number; seconds: number }> {
  const start = process.hrtime.bigint();
  const summary = await scheduler.tick(DELIVERY_NOW);
  return { rows: summary.delivery.sent, seconds: seconds(start) };
}

export interface Interleaved {
  rawRate: number;
  tickRate: number;
  /** raw seconds / tick seconds for the same number of rows. */
  ratio: number;
  turns: number;
  /** Per-turn ratios, for the spread. */
  turnRatios: number[];
  /**
   * CPU time of this process per 1000 rows (user + system, ms): on SQLite that includes the
   * database engine, so it is a load-independent view of the work; on Postgres it is the
   * client side only.
   */
  rawCpuMs: number;
  tickCpuMs: number;
}

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/**
 * Alternates `raw(slice)` and `tick()` until each has done `size` rows; returns both rates.
 * The caller has put the rows (or the work) for both in place.
 */
export async function interleave(
  size: number,
  slice: number,
  raw: (limit: number) => Promise<{ rows: number; seconds: number }>,
  tick: () => Promise<{ rows: number; seconds: number }>,
  label: string,
): Promise<Interleaved> {
  let rawRows = 0;
  let rawSeconds = 0;
  let tickRows = 0;
  let tickSeconds = 0;
  let rawCpu = 0;
  let tickCpu = 0;
  const turnRatios: number[] = [];
  for (let turn = 0; rawRows < size || tickRows < size; turn++) {
    let r = { rows: 0, seconds: 0 };
    let t = { rows: 0, seconds: 0 };
    for (const which of turn % 2 === 0 ? ['raw', 'tick'] : ['tick', 'raw']) {
      const cpu = cpuSeconds();
      if (which === 'raw' && rawRows < size) {
        r = await raw(Math.min(slice, size - rawRows));
        rawCpu += cpuSeconds() - cpu;
      }
      if (which === 'tick' && tickRows < size) {
        t = await tick();
        tickCpu += cpuSeconds() - cpu;
      }
    }
    if (r.rows === 0 && t.rows === 0)
      throw new Error(`${label}: stalled at raw ${rawRows}, tick ${tickRows} of ${size}`);
    rawRows += r.rows;
    rawSeconds += r.seconds;
    tickRows += t.rows;
    tickSeconds += t.seconds;
    if (r.rows > 0 && t.rows > 0) turnRatios.push(r.seconds / r.rows / (t.seconds / t.rows));
  }
  if (rawRows !== size || tickRows !== size)
    throw new Error(`${label}: raw ${rawRows}, tick ${tickRows} of ${size}`);
  return {
    rawRate: rawRows / rawSeconds,
    tickRate: tickRows / tickSeconds,
    ratio: rawSeconds / tickSeconds,
    turns: turnRatios.length,
    turnRatios,
    rawCpuMs: (rawCpu / size) * 1e6,
    tickCpuMs: (tickCpu / size) * 1e6,
  };
}

/** Statements the delivery tick runs per delivered row (a separate, untimed, logged run). */
async function countDeliveryStatements(db: BenchDatabase, rows: number): Promise<StatementCounter> {
  const counter = new StatementCounter();
  const scheduler = createScheduler({
    store: db.loggedStore(counter.onQuery),
    transport: noopTransport,
    options: deliveryOptions(rows),
  });
  await fillOutbox(db, rows, 'count');
  counter.reset();
  for (;;) {
    const summary = await scheduler.tick(DELIVERY_NOW);
    if (!summary.moreDue) break;
  }
  await scheduler.close();
  return counter;
}

/** `CPU ms/1000 rows in this process: raw 16, tick 41`. */
export function cpuNote(result: Interleaved): string {
  return `CPU ms per 1000 in this process: raw ${result.rawCpuMs.toFixed(0)}, tick ${result.tickCpuMs.toFixed(0)}`;
}

export function spread(values: readonly number[]): string {
  if (values.length === 0) return '';
  const sorted = [...values].sort((a, b) => a - b);
  return `turns ${sorted[0]!.toFixed(2)}…${sorted[sorted.length - 1]!.toFixed(2)} (median ${median(sorted).toFixed(2)})`;
}

export async function benchDelivery(
  backends: BenchBackend[],
  sizes = [10_000, 100_000],
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const backend of backends) {
    const results = new Map<number, Interleaved>();
    for (const size of sizes) {
      const db = await benchDatabase(backend);
      try {
        const slice = sliceFor(size);
        const scheduler = await migratedScheduler(db, deliveryOptions(slice));
        // 2 × size due rows: raw and tick drain the same backlog, slice by slice.
        await fillOutbox(db, 2 * size, 'due');
        const result = await interleave(
          size,
          slice,
          (limit) => rawClaimDone(db, limit),
          () => tickSlice(scheduler),
          `delivery ${backend} ${size}`,
        );
        await scheduler.close();
        results.set(size, result);
        const target = backend === 'postgres' ? 0.7 : 0.5;
        const note = `${2 * size} due at start; ${result.turns} turns of ${slice}`;
        rows.push({
          bench: 'raw claim+done',
          backend,
          metric: `${size} rows`,
          value: result.rawRate,
          unit: 'rows/s',
          note,
        });
        rows.push({
          bench: 'delivery tick',
          backend,
          metric: `${size} rows`,
          value: result.tickRate,
          unit: 'rows/s',
          note,
        });
        rows.push({
          bench: 'delivery tick',
          backend,
          metric: `${size} rows: tick / raw`,
          value: result.ratio,
          unit: 'ratio',
          note: `${verdict(result.ratio >= target)} target ≥ ${target}; ${spread(result.turnRatios)}; ${cpuNote(result)}`,
        });
        if (size === sizes[sizes.length - 1]) {
          // Statements per row, on the same database (all rows are sent by now): untimed, logged.
          const counted = Math.min(size, 5_000);
          const counter = await countDeliveryStatements(db, counted);
          rows.push({
            bench: 'delivery tick',
            backend,
            metric: 'statements per 1000 rows',
            value: (counter.total / counted) * 1000,
            unit: 'statements',
            note: `raw: 4; tick: ${counter.summary(6)}`,
          });
        }
      } finally {
        await db.destroy();
      }
    }
    if (sizes.length >= 2) {
      const small = sizes[0]!;
      const large = sizes[sizes.length - 1]!;
      const tick = results.get(large)!.tickRate / results.get(small)!.tickRate;
      const raw = results.get(large)!.rawRate / results.get(small)!.rawRate;
      rows.push({
        bench: 'delivery tick',
        backend,
        metric: `rate at ${large} / at ${small}`,
        value: tick,
        unit: 'ratio',
        note: `${verdict(tick >= 0.8)} target ≥ 0.8; raw's own: ${raw.toFixed(2)}`,
      });
    }
  }
  return rows;
}

export function verdict(met: boolean): string {
  return met ? 'MET' : 'MISSED';
}
