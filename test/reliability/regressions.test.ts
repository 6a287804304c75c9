/*
 * Regression tests for bugs the reliability harnesses found in the foundation, each a
 * minimal test of the promised behaviour: a Postgres connection dying (idle, or while
 * tickwork uses it) must not crash the host, and a long tick must never hand out a row
 * whose lease has already run out.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backends, postgresBackend } from '../support/backends.js';
import { setup, START } from '../support/harness.js';
import { nodeArgsFor } from './support/script-runner.js';

const postgres = postgresBackend;
const WORKER = fileURLToPath(new URL('./pg-connection-loss-worker.ts', import.meta.url));

interface HostRun {
  code: number | null;
  /** The first error line of a crash, if the process crashed. */
  crash: string | undefined;
  result: unknown;
}

async function runHost(config: Record<string, unknown>): Promise<HostRun> {
  const child = spawn(process.execPath, [...(await nodeArgsFor(WORKER)), JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      // e.g. "error: terminating connection due to administrator command (unhandled 'error' event on BoundPool)"
      const message = stderr.split('\n').find((line) => /^(\w*Error|error): /.test(line));
      const emitter = /Emitted 'error' event on (\w+) instance/.exec(stderr)?.[1];
      const crash = message && emitter ? `${message} (unhandled 'error' event on ${emitter})` : message;
      let result: unknown;
      try {
        result = JSON.parse(stdout);
      } catch {
        result = stdout;
      }
      resolve({ code, crash, result });
    });
  });
}

describe('a Postgres connection lost under a host process', () => {
  /*
   * BUG 1: postgresStore(connectionString) opens a pg Pool and attaches no 'error' listener.
   * pg reports an idle connection that dies (server restart, failover, pg_terminate_backend,
   * idle_session_timeout, a network cut) as an 'error' event on the pool; with no listener
   * Node throws it, and the host process crashes instead of the next query reconnecting.
   */
  it('survives its idle pooled connections being terminated (store opened from a connection string)', async () => {
    const database = await postgres.create();
    try {
      const location = database.location as { connectionString: string; schema: string };
      const run = await runHost({ ...location, mode: 'idle' });
      expect(run).toMatchObject({ code: 0, crash: undefined, result: { sent: 10 } });
    } finally {
      await database.destroy();
    }
  });

  /*
   * BUG 2: while tickwork (through Kysely's driver) has a client checked out, nothing listens
   * for 'error' on it: pg-pool removes its own listener at checkout. A connection terminated
   * then emits 'error' with no listener and crashes the host — even a host that listens on its
   * own pool — instead of the tick rejecting with a TickError.
   */
  it('survives a connection terminated while checked out: the tick rejects and the next one resumes', async () => {
    const database = await postgres.create();
    try {
      const location = database.location as { connectionString: string; schema: string };
      const run = await runHost({ ...location, mode: 'checked-out' });
      expect(run).toMatchObject({ code: 0, crash: undefined, result: { sent: 10, tickErrors: 1 } });
    } finally {
      await database.destroy();
    }
  });
});

/*
 * BUG 3: a tick stamps every lease it takes from its one `now` (lease_expires_at = now +
 * leaseMs), however long the tick has been running. A tick of many waves — maxPerTick /
 * concurrency waves, each up to sendTimeoutMs of real time (defaults: 100 waves of up to 60 s
 * against a 5-minute lease) — keeps claiming rows whose lease has already expired by the time
 * it sends them. Another process ticking with the real time then claims the same rows while
 * they are being sent by a healthy process: the same key is sent twice with no crash at all.
 */
describe.each(backends.filter((b) => b.name !== 'pglite'))('a long tick on $name', (backend) => {
  it('never hands a row to the transport after its lease has expired', async () => {
    const leaseMs = 1000;
    const sendMs = 400;
    const t0 = new Date(START).getTime();
    const delivery = { concurrency: 1, maxPerTick: 4, leaseMs, sendTimeoutMs: 900 };
    const a = await setup(backend, { delivery });
    const b = await a.another({ delivery });
    for (let i = 0; i < 4; i++) {
      await a.scheduler.deliveries.enqueue({
        idempotencyKey: `long:${i}`,
        to: `r${i}@x.org`,
        subject: 's',
        dueAt: new Date(t0 - 10 + i),
      });
    }
    // The hosts' clock: real time, starting at START. Each send takes 400 ms of it, so the
    // fourth wave of a 4-wave tick starts 1.2 s after the tick's `now`: past a 1 s lease.
    const wallStart = Date.now();
    const realNow = () => new Date(t0 + (Date.now() - wallStart));
    const expiredAtSend: string[] = [];
    a.transport.send = async (_message, context) => {
      const now = realNow();
      const row = await b.scheduler.deliveries.get(context.idempotencyKey);
      if (row!.leaseExpiresAt!.getTime() <= now.getTime()) {
        expiredAtSend.push(
          `${context.idempotencyKey}: lease expired at ${row!.leaseExpiresAt!.toISOString()}, sent at ${now.toISOString()}`,
        );
        // Another process ticking with the real time, while this one is still sending.
        await b.scheduler.tick(now);
      }
      await new Promise((resolve) => setTimeout(resolve, sendMs));
    };
    for (let i = 0; i < 10 && (await a.scheduler.deliveries.counts()).sent < 4; i++)
      await a.scheduler.tick(realNow());

    const doubled = b.transport.calls.map((c) => c.idempotencyKey);
    expect({ expiredAtSend, sentByBoth: doubled }).toEqual({ expiredAtSend: [], sentByBoth: [] });
  });

  /*
   * BUG 4 (the same trap, earlier in the tick): the guard above measured time from the start of
   * the delivery phase, but leases run from the tick's `now`. Slow engine phases before it (a
   * recipient source taking most of a lease) left the first wave with a lease shorter than its
   * send timeout. Real time is the subject here, so the source really takes 800 ms.
   */
  it('counts the engine phases before delivery against the lease', async () => {
    const leaseMs = 1000;
    const sendTimeoutMs = 500;
    const sourceMs = 800;
    const delivery = { concurrency: 1, maxPerTick: 4, leaseMs, sendTimeoutMs };
    const a = await setup(
      backend,
      { delivery },
      {
        recipientSources: {
          slow: async () => {
            await new Promise((resolve) => setTimeout(resolve, sourceMs));
            return ['slow@x.org'];
          },
        },
      },
    );
    await a.scheduler.recurring.create({
      name: 'slow source',
      subject: 'Digest',
      recipientSource: 'slow',
      scheduleCron: '0 9 * * *',
      timezone: 'UTC',
    });
    const t0 = Date.parse('2026-03-02T09:00:01.000Z');
    const wallStart = Date.now();
    const realNow = () => new Date(t0 + (Date.now() - wallStart));
    const leaseLeftAtSend: number[] = [];
    a.transport.send = async (_message, context) => {
      const row = await a.scheduler.deliveries.get(context.idempotencyKey);
      leaseLeftAtSend.push(row!.leaseExpiresAt!.getTime() - realNow().getTime());
    };
    const first = await a.scheduler.tick(realNow());
    for (let i = 0; i < 5 && (await a.scheduler.deliveries.counts()).sent < 1; i++)
      await a.scheduler.tick(realNow());

    // The first tick spent 800 ms of its 1000 ms leases in the recurring phase: too little for a send.
    expect(first.delivery).toMatchObject({ claimed: 0, moreDue: true });
    expect(leaseLeftAtSend).toHaveLength(1);
    // Every send starts with at least its timeout left on its lease (less a little for the read above).
    expect(leaseLeftAtSend[0]).toBeGreaterThan(sendTimeoutMs - 150);
  });
});
