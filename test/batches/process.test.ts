import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  type TickworkEmitter,
  type TickworkEvents,
} from '../../src/index.js';
import { backends, type TestDatabase } from '../support/backends.js';
import { setup } from '../support/harness.js';

const DUE = new Date('2026-03-05T09:00:00Z');
const at = (ms: number) => new Date(DUE.getTime() + ms);
const people = (count: number, timezone = 'UTC', prefix = 'r') =>
  Array.from({ length: count }, (_, i) => ({ email: `${prefix}${i}@x.org`, timezone, n: i }));

function recordEvents(events: TickworkEmitter): Array<[string, number]> {
  const seen: Array<[string, number]> = [];
  events.on('batch:started', (e) => seen.push(['batch:started', e.batchId]));
  events.on('batch:completed', (e) => seen.push(['batch:completed', e.batchId]));
  events.on('batch:cancelled', (e) => seen.push(['batch:cancelled', e.batchId]));
  return seen;
}

/** Makes every insert into the outbox fail once it holds `limit` rows: a crash inside the enqueue transaction. */
async function failOutboxInsertsAt(database: TestDatabase, limit: number): Promise<void> {
  if (database.backend === 'sqlite') {
    await database.raw(
      `create trigger tw_fail before insert on tickwork_outbox
       when (select count(*) from tickwork_outbox) >= ${limit}
       begin select raise(abort, 'simulated crash'); end`,
    );
    return;
  }
  await database.raw(
    `create function tw_fail() returns trigger language plpgsql as $$
     declare n integer;
     begin
       execute format('select count(*) from %I.tickwork_outbox', tg_table_schema) into n;
       if n >= ${limit} then raise exception 'simulated crash'; end if;
       return new;
     end $$`,
  );
  await database.raw(
    'create trigger tw_fail before insert on tickwork_outbox for each row execute function tw_fail()',
  );
}

async function healOutbox(database: TestDatabase): Promise<void> {
  await database.raw(
    database.backend === 'sqlite' ? 'drop trigger tw_fail' : 'drop trigger tw_fail on tickwork_outbox',
  );
}

describe.each(backends)('timezone batches: processing on $name', (backend) => {
  it('enqueues a due batch once with its message; pending → processing → done with per-batch counts', async () => {
    const { scheduler, transport } = await setup(backend);
    const events = recordEvents(scheduler.events);
    const started: TickworkEvents['batch:started'][] = [];
    scheduler.events.on('batch:started', (e) => started.push(e));
    transport.failPermanentlyForEmail('bounce@x.org');
    const { batches } = await scheduler.batches.createTimezoneBatches(
      21,
      [
        { email: 'Ann@X.org', timezone: 'UTC', name: 'Ann', plan: { tier: 'gold' } },
        { email: 'bounce@x.org', timezone: 'Europe/London' },
        { email: 'cy@x.org' },
      ],
      { time: '09:00', date: '2026-03-05' },
      { message: { subject: 'March news', templateId: 3, cc: ['cc@x.org'], bcc: ['audit@x.org'] } },
    );
    const id = batches[0]!.id;

    const early = await scheduler.tick(at(-1));
    expect(early.phases['batches']).toEqual({
      processed: 0,
      moreDue: false,
      batchesStarted: 0,
      batchesCompleted: 0,
    });
    expect((await scheduler.batches.get(id)).status).toBe('pending');

    const summary = await scheduler.tick(DUE);
    expect(summary.phases['batches']).toEqual({
      processed: 3,
      moreDue: false,
      batchesStarted: 1,
      batchesCompleted: 1,
    });
    expect(events).toEqual([
      ['batch:started', id],
      ['batch:completed', id],
    ]);
    expect(started[0]).toMatchObject({
      campaignId: 21,
      scheduledFor: DUE,
      startedAt: DUE,
      recipientCount: 3,
    });
    const ann = transport.sent.find((s) => s.idempotencyKey === `batch:${id}:ann@x.org`);
    expect(ann?.message).toEqual({
      to: 'Ann@X.org',
      cc: ['cc@x.org'],
      bcc: ['audit@x.org'],
      subject: 'March news',
      templateId: 3,
      recipient: { email: 'Ann@X.org', timezone: 'UTC', name: 'Ann', plan: { tier: 'gold' } },
      origin: { type: 'batch', batchId: id, campaignId: 21, scheduledFor: '2026-03-05T09:00:00.000Z' },
    });
    const batch = await scheduler.batches.get(id);
    expect(batch).toMatchObject({
      status: 'done',
      enqueuedCount: 3,
      startedAt: DUE,
      completedAt: DUE,
      counts: { recipients: 3, enqueued: 3, pending: 0, sent: 2, dead: 1, cancelled: 0, skipped: 0 },
    });

    await scheduler.tick(at(3600_000));
    expect(transport.calls).toHaveLength(3);
    expect(events).toHaveLength(2);
    const recipients = await scheduler.batches.listRecipients(id);
    expect(recipients.items.map((r) => [r.email, r.deliveryStatus])).toEqual([
      ['Ann@X.org', 'sent'],
      ['bounce@x.org', 'dead'],
      ['cy@x.org', 'sent'],
    ]);
  });

  it('enqueues a large batch across bounded ticks and resumes after a crash where it left off', async () => {
    const { scheduler, database } = await setup(backend, {
      batches: { maxRecipientsPerTick: 1200, chunkSize: 500, leaseMs: 60_000 },
    });
    const events = recordEvents(scheduler.events);
    const total = 5000;
    const { batches } = await scheduler.batches.createTimezoneBatches(22, people(total), {
      time: '09:00',
      date: '2026-03-05',
    });
    const id = batches[0]!.id;
    const outboxCount = async () => (await scheduler.batches.get(id)).counts.pending;

    let step = await scheduler.batches.processScheduledBatches(DUE);
    expect(step).toMatchObject({ processed: 1200, moreDue: true, batchesStarted: 1, batchesCompleted: 0 });
    expect(await scheduler.batches.get(id)).toMatchObject({ status: 'processing', enqueuedCount: 1200 });
    expect(await outboxCount()).toBe(1200);
    step = await scheduler.batches.processScheduledBatches(DUE);
    expect(step).toMatchObject({ processed: 1200, moreDue: true, batchesStarted: 0 });

    // The third tick dies inside the enqueue transaction of its second chunk (2900 → 3400).
    await failOutboxInsertsAt(database, 3000);
    await expect(scheduler.batches.processScheduledBatches(DUE)).rejects.toThrow(/simulated crash/);
    await healOutbox(database);
    expect(await scheduler.batches.get(id)).toMatchObject({ status: 'processing', enqueuedCount: 2900 });
    expect(await outboxCount()).toBe(2900);

    // Its lease still holds the batch: nobody resumes it before the lease expires...
    expect(await scheduler.batches.processScheduledBatches(at(59_999))).toMatchObject({
      processed: 0,
      moreDue: false,
    });
    // ...then the next tick picks it up at the cursor.
    step = await scheduler.batches.processScheduledBatches(at(60_000));
    expect(step).toMatchObject({ processed: 1200, moreDue: true, batchesStarted: 0 });
    step = await scheduler.batches.processScheduledBatches(at(60_000));
    expect(step).toMatchObject({ processed: 900, moreDue: false, batchesCompleted: 1 });

    const batch = await scheduler.batches.get(id);
    expect(batch).toMatchObject({ status: 'done', enqueuedCount: total, completedAt: at(60_000) });
    expect(batch.counts.pending).toBe(total);
    const rows = await database.raw<{ n: number | string; keys: number | string }>(
      `select count(*) as n, count(distinct idempotency_key) as keys from tickwork_outbox where source_id = ${id}`,
    );
    expect(rows.map((r) => [Number(r.n), Number(r.keys)])).toEqual([[total, total]]);
    const last = await scheduler.batches.listRecipients(id, { offset: total - 1 });
    expect(last.items).toEqual([
      expect.objectContaining({ position: total, email: `r${total - 1}@x.org`, deliveryStatus: 'pending' }),
    ]);
    expect(events).toEqual([
      ['batch:started', id],
      ['batch:completed', id],
    ]);
  });

  it('shares the tick budget across batches, earliest first', async () => {
    const { scheduler } = await setup(backend, { batches: { maxRecipientsPerTick: 250, chunkSize: 100 } });
    const result = await scheduler.batches.createTimezoneBatches(
      23,
      [...people(200, 'UTC', 'u'), ...people(200, 'Europe/Lisbon', 'l'), ...people(200, 'Asia/Tokyo', 't')],
      { time: '09:00', date: '2026-03-05' },
    );
    const [tokyo, utc] = result.batches; // Lisbon is UTC+0 in March: it shares the UTC batch
    expect(result.batches).toHaveLength(2);
    expect(tokyo!.recipientCount).toBe(200);
    expect(utc!.recipientCount).toBe(400);
    const first = await scheduler.batches.processScheduledBatches(DUE);
    expect(first).toMatchObject({ processed: 250, batchesStarted: 2, batchesCompleted: 1, moreDue: true });
    expect((await scheduler.batches.get(tokyo!.id)).status).toBe('done');
    expect(await scheduler.batches.get(utc!.id)).toMatchObject({ status: 'processing', enqueuedCount: 50 });
    await scheduler.batches.processScheduledBatches(DUE);
    const third = await scheduler.batches.processScheduledBatches(DUE);
    expect(third).toMatchObject({ processed: 100, batchesCompleted: 1, moreDue: false });
  });

  describe('cancel', () => {
    it('a pending batch never sends', async () => {
      const { scheduler, transport, clock } = await setup(backend);
      const cancelled: TickworkEvents['batch:cancelled'][] = [];
      scheduler.events.on('batch:cancelled', (e) => cancelled.push(e));
      const { batches } = await scheduler.batches.createTimezoneBatches(24, people(3), {
        time: '09:00',
        date: '2026-03-05',
      });
      const id = batches[0]!.id;
      clock.set(new Date('2026-03-04T10:00:00Z'));
      const batch = await scheduler.batches.cancel(String(id), { reason: 'campaign withdrawn' });
      expect(batch).toMatchObject({
        status: 'cancelled',
        statusReason: 'campaign withdrawn',
        cancelledAt: new Date('2026-03-04T10:00:00Z'),
        counts: { recipients: 3, enqueued: 0, cancelled: 3, sent: 0 },
      });
      expect(cancelled).toEqual([
        expect.objectContaining({
          batchId: id,
          previousStatus: 'pending',
          reason: 'campaign withdrawn',
          enqueuedCount: 0,
          deliveriesCancelled: 0,
        }),
      ]);
      await scheduler.tick(DUE);
      await scheduler.tick(at(86_400_000));
      expect(transport.calls).toHaveLength(0);
      // Cancelling again changes nothing and says nothing.
      expect((await scheduler.batches.cancel(id)).status).toBe('cancelled');
      expect(cancelled).toHaveLength(1);
    });

    it('a processing batch stops enqueueing and its unsent outbox rows are cancelled', async () => {
      const { scheduler, transport } = await setup(backend, { batches: { maxRecipientsPerTick: 100 } });
      const { batches } = await scheduler.batches.createTimezoneBatches(25, people(300), {
        time: '09:00',
        date: '2026-03-05',
      });
      const id = batches[0]!.id;
      await scheduler.batches.processScheduledBatches(DUE);
      expect(await scheduler.batches.get(id)).toMatchObject({ status: 'processing', enqueuedCount: 100 });
      const batch = await scheduler.batches.cancel(id);
      expect(batch).toMatchObject({
        status: 'cancelled',
        statusReason: 'cancelled by host',
        enqueuedCount: 100,
        counts: { recipients: 300, enqueued: 100, pending: 0, sent: 0, cancelled: 300 },
      });
      for (let i = 0; i < 5; i++) await scheduler.tick(at(i * 60_000));
      expect(transport.calls).toHaveLength(0);
      expect((await scheduler.batches.get(id)).enqueuedCount).toBe(100);
    });

    it('a done batch: its unsent (retrying) rows are cancelled; with nothing left it is a conflict', async () => {
      const { scheduler, transport } = await setup(backend);
      const { batches } = await scheduler.batches.createTimezoneBatches(26, people(4), {
        time: '09:00',
        date: '2026-03-05',
      });
      const id = batches[0]!.id;
      transport.failNextSends(2);
      await scheduler.tick(DUE);
      expect((await scheduler.batches.get(id)).counts).toMatchObject({ sent: 2, pending: 2 });
      const cancelled = await scheduler.batches.cancel(id);
      expect(cancelled).toMatchObject({ status: 'cancelled', counts: { sent: 2, pending: 0, cancelled: 2 } });
      await scheduler.tick(at(86_400_000));
      expect(transport.sent).toHaveLength(2);

      const other = await scheduler.batches.createTimezoneBatches(27, people(2), {
        time: '09:00',
        date: '2026-03-05',
      });
      await scheduler.tick(DUE);
      await expect(scheduler.batches.cancel(other.batches[0]!.id)).rejects.toBeInstanceOf(ConflictError);
      expect((await scheduler.batches.get(other.batches[0]!.id)).status).toBe('done');
    });

    it('every batch of a campaign, and only that campaign', async () => {
      const { scheduler, transport } = await setup(backend, { batches: { maxRecipientsPerTick: 10 } });
      const mine = await scheduler.batches.createTimezoneBatches(
        28,
        [...people(20, 'UTC', 'u'), ...people(5, 'Asia/Tokyo', 't'), ...people(5, 'America/Chicago', 'c')],
        { time: '09:00', date: '2026-03-05' },
      );
      const theirs = await scheduler.batches.createTimezoneBatches(29, people(5), {
        time: '09:00',
        date: '2026-03-05',
      });
      await scheduler.batches.processScheduledBatches(DUE); // Tokyo done (5), UTC started (5 of 20), Chicago not due
      const result = await scheduler.batches.cancelCampaign(28, { reason: 'recalled' });
      const [tokyo, utc, chicago] = mine.batches;
      expect(await scheduler.batches.get(tokyo!.id)).toMatchObject({ status: 'cancelled', enqueuedCount: 5 });
      expect(await scheduler.batches.get(utc!.id)).toMatchObject({ status: 'cancelled', enqueuedCount: 5 });
      expect(await scheduler.batches.get(chicago!.id)).toMatchObject({
        status: 'cancelled',
        enqueuedCount: 0,
      });
      // Tokyo was done (all enqueued, none sent): its rows are stopped too; UTC was mid-way.
      expect(result).toEqual({
        campaignId: 28,
        cancelledBatchIds: mine.batches.map((b) => b.id).sort((x, y) => x - y),
        deliveriesCancelled: 10,
      });
      for (let i = 0; i < 12; i++) await scheduler.tick(at(i * 3600_000));
      expect(new Set(transport.sentKeys.map((k) => Number(k.split(':')[1])))).toEqual(
        new Set([theirs.batches[0]!.id]),
      );
      expect(transport.sentKeys).toHaveLength(5);
      expect((await scheduler.batches.list({ campaignId: 28, status: 'cancelled' })).total).toBe(3);
      expect(await scheduler.batches.cancelCampaign(28)).toEqual({
        campaignId: 28,
        cancelledBatchIds: [],
        deliveriesCancelled: 0,
      });
    });
  });

  it('get, list and cancel validate ids and report unknown batches', async () => {
    const { scheduler } = await setup(backend);
    await expect(scheduler.batches.get(999)).rejects.toBeInstanceOf(NotFoundError);
    await expect(scheduler.batches.cancel(999)).rejects.toBeInstanceOf(NotFoundError);
    await expect(scheduler.batches.listRecipients(999)).rejects.toBeInstanceOf(NotFoundError);
    for (const bad of ['abc', -1, 0, 1.5, null, '1e3', 2 ** 31]) {
      const error = await scheduler.batches.get(bad as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]?.path).toBe('id');
    }
    const error = await scheduler.batches.list({ limit: 501 }).catch((e: unknown) => e);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['limit']);
    await expect(scheduler.batches.cancelCampaign('x')).rejects.toThrow(/campaignId/);
    await expect(scheduler.batches.processScheduledBatches(new Date('nope'))).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('lists with pagination and filters', async () => {
    const { scheduler } = await setup(backend);
    const zones = ['Asia/Tokyo', 'Asia/Kolkata', 'Europe/Berlin', 'UTC', 'America/New_York'];
    await scheduler.batches.createTimezoneBatches(
      30,
      zones.map((timezone, i) => ({ email: `z${i}@x.org`, timezone })),
      { time: '09:00', date: '2026-03-05' },
    );
    await scheduler.batches.createTimezoneBatches(31, [{ email: 'a@x.org' }], {
      time: '09:00',
      date: '2026-03-05',
    });
    const page = await scheduler.batches.list({ campaignId: 30, limit: 2, offset: 2 });
    expect(page).toMatchObject({ total: 5, limit: 2, offset: 2 });
    expect(page.items.map((b) => b.timezones[0]!.timezone)).toEqual(['Europe/Berlin', 'UTC']);
    expect((await scheduler.batches.list({ limit: '3', offset: '0' })).items).toHaveLength(3);
    expect((await scheduler.batches.list({ status: 'done' })).total).toBe(0);
    expect((await scheduler.batches.list()).total).toBe(6);
  });
});

// Two schedulers in one process each hold their own SQLite connection, and better-sqlite3
// blocks the whole event loop while it waits for a lock, so on SQLite concurrent tickers are
// separate processes (processes.test.ts).
describe.each(backends.filter((b) => b.name !== 'sqlite'))(
  'timezone batches: two schedulers on $name',
  (backend) => {
    it('ticking at once, every recipient is enqueued and sent exactly once', async () => {
      const options = {
        batches: { maxRecipientsPerTick: 150, chunkSize: 50 },
        delivery: { maxPerTick: 200 },
      };
      const a = await setup(backend, options);
      const b = await a.another();
      const eventsA = recordEvents(a.scheduler.events);
      const eventsB = recordEvents(b.scheduler.events);
      const result = await a.scheduler.batches.createTimezoneBatches(
        32,
        [
          ...people(400, 'UTC', 'u'),
          ...people(400, 'Asia/Tokyo', 't'),
          ...people(400, 'America/Denver', 'd'),
        ],
        { time: '09:00', date: '2026-03-05' },
      );
      const worked = { a: 0, b: 0 };
      const now = new Date('2026-03-05T16:00:00Z');
      for (let round = 0; round < 50; round++) {
        const [sa, sb] = await Promise.all([a.scheduler.tick(now), b.scheduler.tick(now)]);
        worked.a += sa.phases['batches']!.processed;
        worked.b += sb.phases['batches']!.processed;
        if (!sa.moreDue && !sb.moreDue) break;
      }
      const keys = [...a.transport.sentKeys, ...b.transport.sentKeys];
      expect(keys).toHaveLength(1200);
      expect(new Set(keys).size).toBe(1200);
      expect(worked.a + worked.b).toBe(1200);
      expect(worked.a).toBeGreaterThan(0);
      expect(worked.b).toBeGreaterThan(0);
      const all = [...eventsA, ...eventsB];
      for (const batch of result.batches) {
        expect(all.filter(([type, id]) => type === 'batch:started' && id === batch.id)).toHaveLength(1);
        expect(all.filter(([type, id]) => type === 'batch:completed' && id === batch.id)).toHaveLength(1);
        expect(await a.scheduler.batches.get(batch.id)).toMatchObject({
          status: 'done',
          enqueuedCount: 400,
          counts: { sent: 400, pending: 0 },
        });
      }
    });
  },
);
