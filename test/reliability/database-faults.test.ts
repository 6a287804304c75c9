/*
 * Database faults (issue #8): the database fails under a tick — Postgres connections
 * terminated with pg_terminate_backend, SQLite's write lock held by another process so a
 * statement hits SQLITE_BUSY. Each time the tick rejects with a TickError that names the
 * phase and the database's own message, the next tick resumes, and nothing is lost or
 * doubled: a key is handed to the transport again only when the outcome of its send could not
 * be recorded, and then only after its lease expired, with the same key and the next attempt.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler, TickError, type Scheduler, type Transport } from '../../src/index.js';
import { postgresStore } from '../../src/postgres/index.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { backends, postgresBackend, type TestDatabase } from '../support/backends.js';
import { LockHolder } from './support/lock-holder.js';
import { printFigures } from './support/reconcile.js';

const T0 = new Date('2026-03-02T08:00:00.000Z');
const LEASE_MS = 60_000;
const at = (ms: number) => new Date(T0.getTime() + ms);
const ROWS = 50;
const WAVE = 10;
const DELIVERY = { concurrency: WAVE, maxPerTick: 1000, leaseMs: LEASE_MS, sendTimeoutMs: 5000 };

const postgres = postgresBackend;
const sqlite = backends.find((b) => b.name === 'sqlite')!;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

/** An in-process transport that records every call; `beforeCall` may hold a call up. */
function recorder(beforeCall: (index: number) => Promise<void> = async () => undefined) {
  const calls: Array<{ key: string; attempt: number }> = [];
  const transport: Transport = {
    async send(_message, context) {
      const index = calls.length;
      calls.push({ key: context.idempotencyKey, attempt: context.attempt });
      await beforeCall(index);
    },
  };
  return { calls, transport };
}

async function enqueueRows(scheduler: Scheduler): Promise<string[]> {
  const keys = Array.from({ length: ROWS }, (_, i) => `fault:${i}`);
  // Due one millisecond apart, so waves are claimed in a known order (oldest due first).
  for (const [i, key] of keys.entries()) {
    await scheduler.deliveries.enqueue({
      idempotencyKey: key,
      to: `r${i}@reliability.test`,
      subject: 's',
      dueAt: at(i - ROWS),
    });
  }
  return keys;
}

async function tickError(tick: Promise<unknown>): Promise<TickError> {
  const error = await tick.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the tick should have rejected').toBeInstanceOf(TickError);
  return error as TickError;
}

function repeatedKeys(calls: ReadonlyArray<{ key: string; attempt: number }>): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (const c of calls) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c.attempt]);
  return new Map([...byKey].filter(([, attempts]) => attempts.length > 1));
}

/**
 * After a tick failed while recording wave 2 (keys 10-19): the next tick at the same `now`
 * sends everything else once and leaves wave 2 alone while its lease holds; once the lease
 * has expired they go again with attempt 2. Returns the figures.
 */
async function expectResumeAfterLostRecord(
  scheduler: Scheduler,
  calls: Array<{ key: string; attempt: number }>,
  keys: string[],
) {
  const wave2 = keys.slice(WAVE, 2 * WAVE);
  expect(new Set(calls.map((c) => c.key))).toEqual(new Set(keys.slice(0, 2 * WAVE)));
  expect(await scheduler.deliveries.counts()).toMatchObject({
    sent: WAVE,
    sending: WAVE,
    pending: ROWS - 2 * WAVE,
  });

  const resumed = await scheduler.tick(T0);
  expect(resumed.delivery).toMatchObject({ claimed: ROWS - 2 * WAVE, sent: ROWS - 2 * WAVE });
  expect(calls).toHaveLength(ROWS);
  expect(repeatedKeys(calls).size).toBe(0);
  for (const key of wave2)
    expect(await scheduler.deliveries.get(key)).toMatchObject({ status: 'sending', attempts: 1 });

  await scheduler.tick(at(LEASE_MS - 1));
  expect(calls).toHaveLength(ROWS);
  const afterLease = await scheduler.tick(at(LEASE_MS));
  expect(afterLease.delivery).toMatchObject({ claimed: WAVE, sent: WAVE });
  expect(repeatedKeys(calls)).toEqual(new Map(wave2.map((k) => [k, [1, 2]])));
  expect(await scheduler.deliveries.counts()).toMatchObject({
    sent: ROWS,
    pending: 0,
    sending: 0,
    retrying: 0,
    dead: 0,
  });
  return { calls: calls.length, resent: wave2.length };
}

const byIndex = (a: string, b: string) => Number(a.split(':')[1]) - Number(b.split(':')[1]);

describe('Postgres connections terminated mid-tick', () => {
  async function rig() {
    const database: TestDatabase = await postgres.create();
    cleanups.push(() => database.destroy());
    if (database.location.kind !== 'postgres') throw new Error('expected a Postgres server');
    const { connectionString, schema } = database.location;
    const applicationName = `tickwork_fault_${randomBytes(4).toString('hex')}`;
    const pool = new pg.Pool({ connectionString, application_name: applicationName, max: 3 });
    // A terminated idle connection is reported on the pool; without a listener it would crash the process.
    const poolErrors: Error[] = [];
    pool.on('error', (e) => poolErrors.push(e));
    cleanups.push(() => pool.end());
    const admin = new pg.Client({ connectionString });
    await admin.connect();
    cleanups.push(() => admin.end());

    /** Terminates every connection of the scheduler's pool and waits until they are gone. */
    const terminate = async () => {
      const { rows } = await admin.query<{ terminated: boolean }>(
        'select pg_terminate_backend(pid, 5000) as terminated from pg_stat_activity where application_name = $1',
        [applicationName],
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.terminated)).toBe(true);
      return rows.length;
    };
    // Arms a trap: the `nth` statement matching `pattern` runs only after the pool's connections
    // (the one about to run it included) have been terminated.
    const trap = { pattern: /$^/, remaining: 0, terminated: 0 };
    pool.on('connect', (client) => {
      // Work-around for a gap in src (see known-bugs.test.ts): nothing listens for 'error' on a
      // connection while it is checked out, so its termination would crash the process.
      client.on('error', (e) => poolErrors.push(e));
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        const text = typeof args[0] === 'string' ? args[0] : '';
        if (trap.remaining > 0 && trap.pattern.test(text) && --trap.remaining === 0) {
          return terminate().then((n) => {
            trap.terminated += n;
            return query(...args);
          });
        }
        return query(...args);
      };
    });
    const { calls, transport } = recorder();
    const scheduler = createScheduler({
      store: postgresStore(pool, { schema }),
      transport,
      options: { delivery: DELIVERY, clock: () => T0 },
    });
    cleanups.push(() => scheduler.close());
    await scheduler.migrate();
    const keys = await enqueueRows(scheduler);
    return { scheduler, calls, keys, trap, poolErrors };
  }

  const CLAIM = /^update "\w+"\."tickwork_outbox" set "status" = \$1, "attempts" = "attempts" \+ \$2/;
  const RECORD_SENT = /^update "\w+"\."tickwork_outbox" set "status" = \$1, "sent_at" = \$2/;

  it('a connection killed at a claim: the tick rejects, the next tick resumes, every key goes once', async () => {
    const began = Date.now();
    const { scheduler, calls, keys, trap, poolErrors } = await rig();
    Object.assign(trap, { pattern: CLAIM, remaining: 3 });
    const error = await tickError(scheduler.tick(T0));
    expect(error.message).toMatch(/^tick failed in delivery \(delivery: .*(terminat|Connection)/i);
    expect(error.failures.map((f) => f.phase)).toEqual(['delivery']);
    expect(calls.map((c) => c.key).sort(byIndex)).toEqual(keys.slice(0, 2 * WAVE));
    expect(await scheduler.deliveries.counts()).toMatchObject({ sent: 2 * WAVE, sending: 0 });

    const resumed = await scheduler.tick(T0);
    expect(resumed.delivery).toMatchObject({ sent: ROWS - 2 * WAVE, moreDue: false });
    expect(calls.map((c) => c.key).sort(byIndex)).toEqual(keys);
    expect(repeatedKeys(calls).size).toBe(0);
    expect(await scheduler.deliveries.counts()).toMatchObject({ sent: ROWS, pending: 0, sending: 0 });
    printFigures({
      harness: 'database-faults (pg_terminate_backend at a claim)',
      backend: 'postgres',
      processes: 1,
      deliveries: ROWS,
      calls: calls.length,
      duplicates: 0,
      lost: 0,
      retries: 0,
      dead: 0,
      kills: trap.terminated,
      seconds: (Date.now() - began) / 1000,
      error: error.message,
    });
    // The terminated connections were reported as errors (to the listeners above), not thrown.
    expect(poolErrors.length).toBeGreaterThan(0);
  });

  it('a connection killed while recording a wave: those rows wait for their lease, then go again with the same key', async () => {
    const began = Date.now();
    const { scheduler, calls, keys, trap } = await rig();
    Object.assign(trap, { pattern: RECORD_SENT, remaining: 2 });
    const error = await tickError(scheduler.tick(T0));
    expect(error.message).toMatch(/^tick failed in delivery \(delivery: .*(terminat|Connection)/i);
    const figures = await expectResumeAfterLostRecord(scheduler, calls, keys);
    printFigures({
      harness: 'database-faults (pg_terminate_backend while recording)',
      backend: 'postgres',
      processes: 1,
      deliveries: ROWS,
      calls: figures.calls,
      duplicates: 0,
      lost: 0,
      retries: 0,
      dead: 0,
      kills: trap.terminated,
      resent: figures.resent,
      seconds: (Date.now() - began) / 1000,
      error: error.message,
    });
  });
});

describe('SQLite write lock held by another process', () => {
  async function rig(beforeCall?: (index: number, holder: LockHolder) => Promise<void>) {
    const database = await sqlite.create();
    cleanups.push(() => database.destroy());
    if (database.location.kind !== 'sqlite') throw new Error('expected a SQLite file');
    const holder = await LockHolder.start(database.location.path);
    cleanups.push(() => holder.close());
    const { calls, transport } = recorder((index) => beforeCall?.(index, holder) ?? Promise.resolve());
    // A short busy timeout, so a blocked statement gives up at once instead of after 5 s.
    const store = sqliteStore(database.location.path, { busyTimeoutMs: 100 });
    const scheduler = createScheduler({ store, transport, options: { delivery: DELIVERY, clock: () => T0 } });
    cleanups.push(() => scheduler.close());
    await scheduler.migrate();
    const keys = await enqueueRows(scheduler);
    return { scheduler, calls, keys, holder };
  }

  it('a tick that finds the database locked rejects with SQLITE_BUSY, and the next tick resumes', async () => {
    const began = Date.now();
    const { scheduler, calls, keys, holder } = await rig();
    await holder.lock();
    const error = await tickError(scheduler.tick(T0));
    expect(error.message).toMatch(/^tick failed in .*delivery.*database is locked/);
    expect(error.failures.map((f) => f.phase)).toContain('delivery');
    for (const failure of error.failures)
      expect((failure.error as { code?: string }).code).toMatch(/^SQLITE_BUSY/);
    expect(calls).toEqual([]);
    expect(await scheduler.deliveries.counts()).toMatchObject({ pending: ROWS, sending: 0 });

    await holder.unlock();
    const resumed = await scheduler.tick(T0);
    expect(resumed.delivery).toMatchObject({ sent: ROWS, moreDue: false });
    expect(calls.map((c) => c.key).sort(byIndex)).toEqual(keys);
    expect(repeatedKeys(calls).size).toBe(0);
    printFigures({
      harness: 'database-faults (SQLITE_BUSY before a tick)',
      backend: 'sqlite',
      processes: 2,
      deliveries: ROWS,
      calls: calls.length,
      duplicates: 0,
      lost: 0,
      retries: 0,
      dead: 0,
      kills: 0,
      seconds: (Date.now() - began) / 1000,
      error: error.message,
    });
  });

  it('the lock taken mid-tick makes recording a wave fail: those rows wait for their lease, then go again with the same key', async () => {
    const began = Date.now();
    let locked = false;
    const { scheduler, calls, keys, holder } = await rig(async (index, lockHolder) => {
      // The first send of wave 2: another process takes the write lock before the wave is recorded.
      if (index === WAVE && !locked) {
        locked = true;
        await lockHolder.lock();
      }
    });
    const error = await tickError(scheduler.tick(T0));
    expect(error.message).toMatch(/^tick failed in delivery \(delivery: database is locked\)/);
    await holder.unlock();
    const figures = await expectResumeAfterLostRecord(scheduler, calls, keys);
    printFigures({
      harness: 'database-faults (SQLITE_BUSY while recording)',
      backend: 'sqlite',
      processes: 2,
      deliveries: ROWS,
      calls: figures.calls,
      duplicates: 0,
      lost: 0,
      retries: 0,
      dead: 0,
      kills: 0,
      resent: figures.resent,
      seconds: (Date.now() - began) / 1000,
      error: error.message,
    });
  });
});
