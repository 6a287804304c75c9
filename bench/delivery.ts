import { Outbox, type OutboxEntry } from '../src/delivery/outbox.js';
import type { OutgoingMessage } from '../src/index.js';
import { writeDate } from '../src/store/codec.js';
import {
  benchDatabase,
  migratedScheduler,
  seconds,
  type BenchBackend,
  type BenchDatabase,
  type BenchRow,
} from './support.js';

const BATCH = 500;
const DUE_AT = new Date('2026-01-01T00:00:00Z');
const NOW = new Date('2026-01-02T00:00:00Z');

function message(i: number): OutgoingMessage {
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

/** Puts `count` due rows into the outbox (untimed set-up). */
async function fill(db: BenchDatabase, count: number, prefix: string): Promise<void> {
  const store = db.store();
  const outbox = new Outbox(store.adapter);
  const chunk: OutboxEntry[] = [];
  for (let i = 0; i < count; i++) {
    chunk.push({
      idempotencyKey: `${prefix}:${i}`,
      sourceType: 'direct',
      sourceId: null,
      message: message(i),
      dueAt: DUE_AT,
    });
    if (chunk.length === 5000) {
      await store.adapter.writeTransaction(store.db, (trx) => outbox.enqueue(trx, chunk, DUE_AT));
      chunk.length = 0;
    }
  }
  if (chunk.length)
    await store.adapter.writeTransaction(store.db, (trx) => outbox.enqueue(trx, chunk, DUE_AT));
}

/** The physical limit: claim 500 due rows and mark them done, in plain SQL on the same table. */
async function rawBaseline(db: BenchDatabase): Promise<number> {
  const now = writeDate(NOW);
  const lease = writeDate(new Date(NOW.getTime() + 300_000));
  let total = 0;
  const start = process.hrtime.bigint();
  if (db.rawSqlite) {
    const raw = db.rawSqlite;
    const claim = raw.prepare(
      `update tickwork_outbox set status = 'sending', lease_expires_at = ?, next_attempt_at = ?
       where id in (select id from tickwork_outbox where status in ('pending','retrying','sending')
                    and next_attempt_at <= ? order by next_attempt_at limit ${BATCH})
       returning id`,
    );
    const done = raw.prepare(
      `update tickwork_outbox set status = 'sent', sent_at = ? where id in (select value from json_each(?))`,
    );
    for (;;) {
      const ids = (claim.all(lease, lease, now) as Array<{ id: number }>).map((r) => r.id);
      if (ids.length === 0) break;
      done.run(now, JSON.stringify(ids));
      total += ids.length;
    }
  } else {
    const raw = db.rawPg!;
    for (;;) {
      const { rows } = await raw.query<{ id: number }>(
        `update tickwork_outbox set status = 'sending', lease_expires_at = $1, next_attempt_at = $1
         where id in (select id from tickwork_outbox where status in ('pending','retrying','sending')
                      and next_attempt_at <= $2 order by next_attempt_at limit ${BATCH} for update skip locked)
         returning id`,
        [lease, now],
      );
      if (rows.length === 0) break;
      await raw.query(`update tickwork_outbox set status = 'sent', sent_at = $1 where id = any($2::int[])`, [
        now,
        rows.map((r) => r.id),
      ]);
      total += rows.length;
    }
  }
  return total / seconds(start);
}

/** tickwork's delivery phase: pending rows to sent through a no-op transport. */
async function tickThroughput(db: BenchDatabase): Promise<{ rate: number; sent: number }> {
  const scheduler = await migratedScheduler(db, { delivery: { concurrency: BATCH, maxPerTick: 1_000_000 } });
  const start = process.hrtime.bigint();
  let sent = 0;
  for (;;) {
    const summary = await scheduler.tick(NOW);
    sent += summary.delivery.sent;
    if (!summary.moreDue) break;
  }
  const rate = sent / seconds(start);
  await scheduler.close();
  return { rate, sent };
}

export async function benchDelivery(
  backends: BenchBackend[],
  sizes = [10_000, 100_000],
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const backend of backends) {
    const rates = new Map<number, number>();
    for (const size of sizes) {
      const db = await benchDatabase(backend);
      try {
        const setup = await migratedScheduler(db);
        await setup.close();
        await fill(db, size, 'raw');
        const raw = await rawBaseline(db);
        await fill(db, size, 'tick');
        const { rate, sent } = await tickThroughput(db);
        if (sent !== size) throw new Error(`delivery bench: sent ${sent} of ${size}`);
        rates.set(size, rate);
        rows.push({ bench: 'raw claim+done', backend, metric: `${size} due`, value: raw, unit: 'rows/s' });
        rows.push({
          bench: 'delivery tick',
          backend,
          metric: `${size} due`,
          value: rate,
          unit: 'rows/s',
          note: `${(rate / raw).toFixed(2)} of raw`,
        });
      } finally {
        await db.destroy();
      }
    }
    if (sizes.length >= 2) {
      const small = rates.get(sizes[0]!)!;
      const large = rates.get(sizes[sizes.length - 1]!)!;
      rows.push({
        bench: 'delivery tick',
        backend,
        metric: `rate ${sizes[sizes.length - 1]} / ${sizes[0]}`,
        value: large / small,
        unit: 'ratio',
      });
    }
  }
  return rows;
}
