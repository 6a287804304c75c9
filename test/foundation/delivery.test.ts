import { describe, expect, it } from 'vitest';
import { PermanentDeliveryError, TickError, ValidationError, type DeliveryEvent } from '../../src/index.js';
import { backends } from '../support/backends.js';
import { setup, START } from '../support/harness.js';

const T0 = new Date(START);
const at = (ms: number) => new Date(T0.getTime() + ms);

describe.each(backends)('delivery outbox on $name', (backend) => {
  it('enqueues a key once: the second enqueue is a no-op that leaves the row as it was', async () => {
    const { scheduler } = await setup(backend);
    expect(
      await scheduler.deliveries.enqueue({ idempotencyKey: 'k1', to: 'a@x.org', subject: 'first' }),
    ).toBe(true);
    expect(
      await scheduler.deliveries.enqueue({ idempotencyKey: 'k1', to: 'b@x.org', subject: 'second' }),
    ).toBe(false);
    const row = await scheduler.deliveries.get('k1');
    expect(row?.message.subject).toBe('first');
    expect(row?.recipientEmail).toBe('a@x.org');
    expect(await scheduler.deliveries.list()).toHaveLength(1);
  });

  it('sends a due row once with its key and attempt, records sent_at from now and the transport result', async () => {
    const { scheduler, transport } = await setup(backend);
    transport.resolveWith((_m, ctx) => ({ messageId: `<${ctx.idempotencyKey}@test>` }));
    await scheduler.deliveries.enqueue({
      idempotencyKey: 'k1',
      to: 'a@x.org',
      subject: 's',
      dueAt: at(60_000),
    });

    const early = await scheduler.tick(at(59_999));
    expect(early.delivery.claimed).toBe(0);
    expect(transport.calls).toHaveLength(0);

    const summary = await scheduler.tick(at(60_000));
    expect(summary.delivery).toMatchObject({ claimed: 1, sent: 1, retrying: 0, dead: 0, moreDue: false });
    expect(transport.calls).toEqual([expect.objectContaining({ idempotencyKey: 'k1', attempt: 1 })]);
    const row = await scheduler.deliveries.get('k1');
    expect(row).toMatchObject({ status: 'sent', attempts: 1, result: { messageId: '<k1@test>' } });
    expect(row?.sentAt?.toISOString()).toBe(at(60_000).toISOString());

    await scheduler.tick(at(10 * 60_000));
    expect(transport.calls).toHaveLength(1);
  });

  it('retries with exponential backoff, then dead-letters with the last error', async () => {
    const { scheduler, transport } = await setup(backend, {
      retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000 },
    });
    const retrying: DeliveryEvent[] = [];
    const dead: Array<DeliveryEvent & { error: string }> = [];
    scheduler.events.on('delivery:retrying', (e) => retrying.push(e));
    scheduler.events.on('delivery:dead', (e) => dead.push(e));
    transport.failNextSends(10, () => new Error('421 try later'));
    await scheduler.deliveries.enqueue({ idempotencyKey: 'k', to: 'a@x.org', subject: 's', dueAt: T0 });

    await scheduler.tick(T0);
    let row = await scheduler.deliveries.get('k');
    // random() is pinned to 0.5 in the harness: equal jitter gives 0.75 of the capped delay.
    expect(row).toMatchObject({ status: 'retrying', attempts: 1, lastError: '421 try later' });
    expect(row?.nextAttemptAt.toISOString()).toBe(at(750).toISOString());

    await scheduler.tick(at(749));
    expect(transport.calls).toHaveLength(1);
    await scheduler.tick(at(750));
    row = await scheduler.deliveries.get('k');
    expect(row?.attempts).toBe(2);
    expect(row?.nextAttemptAt.toISOString()).toBe(at(750 + 1500).toISOString());

    await scheduler.tick(at(2250));
    row = await scheduler.deliveries.get('k');
    expect(row).toMatchObject({ status: 'dead', attempts: 3, lastError: '421 try later' });
    expect(transport.calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(retrying).toHaveLength(2);
    expect(dead).toEqual([
      expect.objectContaining({ idempotencyKey: 'k', attempt: 3, error: '421 try later' }),
    ]);

    await scheduler.tick(at(24 * 3600_000));
    expect(transport.calls).toHaveLength(3);
  });

  it('dead-letters a permanent failure at once, recognised by name as well as by class', async () => {
    const { scheduler, transport } = await setup(backend);
    await scheduler.deliveries.enqueue({
      idempotencyKey: 'bounce',
      to: 'gone@x.org',
      subject: 's',
      dueAt: T0,
    });
    await scheduler.deliveries.enqueue({ idempotencyKey: 'foreign', to: 'b@x.org', subject: 's', dueAt: T0 });
    transport.failPermanentlyForEmail('gone@x.org');
    const foreign = Object.assign(new Error('550 no such user'), { name: 'PermanentDeliveryError' });
    const original = transport.send.bind(transport);
    transport.send = async (message, ctx) => {
      if (ctx.idempotencyKey === 'foreign') throw foreign;
      return original(message, ctx);
    };
    await scheduler.tick(T0);
    expect(await scheduler.deliveries.get('bounce')).toMatchObject({ status: 'dead', attempts: 1 });
    expect((await scheduler.deliveries.get('bounce'))?.lastError).toMatch(/hard bounce/);
    expect(await scheduler.deliveries.get('foreign')).toMatchObject({
      status: 'dead',
      attempts: 1,
      lastError: '550 no such user',
    });
    expect(new PermanentDeliveryError('x')).toBeInstanceOf(Error);
  });

  it('never sends a cancelled row', async () => {
    const { scheduler, transport } = await setup(backend);
    const cancelled: string[] = [];
    scheduler.events.on('delivery:cancelled', (e) => cancelled.push(e.idempotencyKey));
    await scheduler.deliveries.enqueue({ idempotencyKey: 'a', to: 'a@x.org', subject: 's', dueAt: T0 });
    await scheduler.deliveries.enqueue({ idempotencyKey: 'b', to: 'b@x.org', subject: 's', dueAt: T0 });
    expect(await scheduler.deliveries.cancel('a', 'recipient unsubscribed')).toBe(true);
    await scheduler.tick(T0);
    expect(transport.sentKeys).toEqual(['b']);
    expect(await scheduler.deliveries.get('a')).toMatchObject({
      status: 'cancelled',
      lastError: 'recipient unsubscribed',
    });
    expect(await scheduler.deliveries.cancel('b')).toBe(false);
    expect(cancelled).toEqual(['a']);
  });

  it('re-claims a row whose lease expired (its process died) with the same key and the next attempt', async () => {
    const { scheduler, transport, another } = await setup(backend, {
      delivery: { leaseMs: 60_000, sendTimeoutMs: 1000 },
    });
    await scheduler.deliveries.enqueue({ idempotencyKey: 'k', to: 'a@x.org', subject: 's', dueAt: T0 });
    // A process that claims the row and dies before recording anything: claim through a
    // scheduler whose transport never settles, and never let it finish.
    const dying = await another({ delivery: { leaseMs: 60_000, sendTimeoutMs: 59_000 } });
    dying.transport.respondAfter(10 * 60_000); // honours the abort signal, so close() below ends it
    const abandoned = dying.scheduler.tick(T0);
    await waitFor(() => dying.transport.calls.length === 1);

    await scheduler.tick(at(59_999));
    expect(transport.calls).toHaveLength(0);
    await scheduler.tick(at(60_000));
    expect(transport.calls).toEqual([expect.objectContaining({ idempotencyKey: 'k', attempt: 2 })]);
    expect(await scheduler.deliveries.get('k')).toMatchObject({ status: 'sent', attempts: 2 });

    // The dead process's late outcome cannot overwrite the newer claim.
    await dying.scheduler.close({ abortInFlight: true });
    expect((await abandoned).delivery.retrying).toBe(1);
    expect(await scheduler.deliveries.get('k')).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('aborts a send that overruns the timeout and retries it', async () => {
    const { scheduler, transport } = await setup(backend, {
      delivery: { sendTimeoutMs: 50, leaseMs: 60_000 },
    });
    let sawAbort = false;
    transport.send = (_m, ctx) =>
      new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          sawAbort = true;
          reject(ctx.signal.reason);
        });
      });
    await scheduler.deliveries.enqueue({ idempotencyKey: 'slow', to: 'a@x.org', subject: 's', dueAt: T0 });
    const summary = await scheduler.tick(T0);
    expect(summary.delivery.retrying).toBe(1);
    expect(sawAbort).toBe(true);
    expect((await scheduler.deliveries.get('slow'))?.lastError).toMatch(/did not settle within 50 ms/);
  });

  it('does a bounded amount of work per tick and reports that more is due', async () => {
    const { scheduler, transport } = await setup(backend, { delivery: { maxPerTick: 5, concurrency: 2 } });
    for (let i = 0; i < 12; i++) {
      await scheduler.deliveries.enqueue({
        idempotencyKey: `k${i}`,
        to: `r${i}@x.org`,
        subject: 's',
        dueAt: at(i),
      });
    }
    const first = await scheduler.tick(at(1000));
    expect(first.delivery.claimed).toBe(5);
    expect(first.moreDue).toBe(true);
    // Oldest due first (within a wave, sends run concurrently and finish in any order).
    expect([...transport.sentKeys].sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    await scheduler.tick(at(1000));
    const last = await scheduler.tick(at(1000));
    expect(last.delivery.claimed).toBe(2);
    expect(last.moreDue).toBe(false);
    expect(new Set(transport.sentKeys).size).toBe(12);
  });

  it('runs overlapping ticks of one scheduler one after the other', async () => {
    const { scheduler, transport } = await setup(backend, { delivery: { concurrency: 1, maxPerTick: 1 } });
    let inFlight = 0;
    let maxInFlight = 0;
    const original = transport.send.bind(transport);
    transport.send = async (m, ctx) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight -= 1;
      return original(m, ctx);
    };
    for (let i = 0; i < 3; i++)
      await scheduler.deliveries.enqueue({ idempotencyKey: `k${i}`, to: 'a@x.org', subject: 's', dueAt: T0 });
    const summaries = await Promise.all([scheduler.tick(T0), scheduler.tick(at(1)), scheduler.tick(at(2))]);
    expect(maxInFlight).toBe(1);
    expect(summaries.map((s) => s.now.toISOString())).toEqual([T0, at(1), at(2)].map((d) => d.toISOString()));
    expect(transport.sentKeys).toEqual(['k0', 'k1', 'k2']);
  });

  it('keeps working when an event listener throws, and reports the throw on `error`', async () => {
    const { scheduler, transport } = await setup(backend);
    const errors: string[] = [];
    scheduler.events.on('delivery:sent', () => {
      throw new Error('listener bug');
    });
    scheduler.events.on('error', (e) => errors.push(`${e.context}: ${(e.error as Error).message}`));
    await scheduler.deliveries.enqueue({ idempotencyKey: 'k', to: 'a@x.org', subject: 's', dueAt: T0 });
    const summary = await scheduler.tick(T0);
    expect(summary.delivery.sent).toBe(1);
    expect(transport.sentKeys).toEqual(['k']);
    expect(errors).toEqual(["listener of 'delivery:sent': listener bug"]);
  });

  it('rejects bad input naming the field and writes nothing', async () => {
    const { scheduler } = await setup(backend);
    await expect(
      scheduler.deliveries.enqueue({ idempotencyKey: 'k', to: 'not-an-email', subject: 's' }),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [expect.objectContaining({ path: 'to' })],
    });
    await expect(scheduler.tick(new Date('nope'))).rejects.toBeInstanceOf(ValidationError);
    expect(await scheduler.deliveries.list()).toEqual([]);
  });

  it('two schedulers ticking one database at once never hand the same key to the transport twice', async () => {
    const a = await setup(backend, { delivery: { concurrency: 7, maxPerTick: 40 } });
    const b = await a.another({ delivery: { concurrency: 5, maxPerTick: 40 } });
    const slow = (ms: number) => {
      for (const t of [a.transport, b.transport]) t.respondAfter(ms);
    };
    slow(2);
    for (let i = 0; i < 200; i++) {
      await a.scheduler.deliveries.enqueue({
        idempotencyKey: `k${i}`,
        to: `r${i}@x.org`,
        subject: 's',
        dueAt: T0,
      });
    }
    for (let round = 0; round < 10; round++) {
      await Promise.all([a.scheduler.tick(at(round)), b.scheduler.tick(at(round))]);
    }
    const keys = [...a.transport.calls, ...b.transport.calls].map((c) => c.idempotencyKey);
    expect(keys).toHaveLength(200);
    expect(new Set(keys).size).toBe(200);
    if (backend.name !== 'pglite') {
      // PGlite is one connection, so the second scheduler only runs between the first's
      // statements; on real databases both must have taken part.
      expect(a.transport.calls.length).toBeGreaterThan(0);
      expect(b.transport.calls.length).toBeGreaterThan(0);
    }
    expect((await a.scheduler.deliveries.counts()).sent).toBe(200);
  });

  it('a failing phase rejects the tick with a clear error, and the next tick resumes', async () => {
    const { scheduler, database, transport } = await setup(backend);
    await scheduler.deliveries.enqueue({ idempotencyKey: 'k', to: 'a@x.org', subject: 's', dueAt: T0 });
    await database.raw('alter table tickwork_outbox rename to tickwork_outbox_away');
    const failure = await scheduler.tick(T0).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TickError);
    expect((failure as TickError).message).toMatch(/tick failed in delivery/);
    await database.raw('alter table tickwork_outbox_away rename to tickwork_outbox');
    await scheduler.tick(T0);
    expect(transport.sentKeys).toEqual(['k']);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
