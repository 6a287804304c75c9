/*
 * Many processes (issue #8): 3 OS processes ticking one SQLite file (WAL) and 4 ticking one
 * Postgres schema work through 20,000 deliveries due over five simulated minutes. The
 * transport logs every call durably; every idempotency key must reach it exactly once, and
 * the outbox must reconcile with the input.
 */
import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../src/index.js';
import { backends } from '../support/backends.js';
import { Fleet, type Exit } from './support/fleet.js';
import { openParentStore, sharedLocation } from './support/databases.js';
import { harnessSeed } from './support/prng.js';
import { printFigures, readOutbox, reconcile, waitUntilSettled } from './support/reconcile.js';
import { checkLeaseFits } from './support/sim-clock.js';
import { directWorkload, seedAll, type Workload } from './support/workload.js';

// PGlite lives inside one process; only the file and the server can be shared by processes.
const shared = backends.filter((b) => b.name !== 'pglite');
const PROCESSES: Record<string, number> = { sqlite: 3, postgres: 4 };
const DELIVERIES = 20_000;
const START = Date.parse('2026-03-02T08:00:00.000Z');
const SPAN_MS = 5 * 60_000;
/** Simulated ms per wall ms: five simulated minutes take five seconds. */
const SPEED = 60;
const DELIVERY = { concurrency: 100, maxPerTick: 400, leaseMs: 20 * 60_000, sendTimeoutMs: 2000 };

describe.each(shared)('many OS processes ticking one $name database', (backend) => {
  it(`hand each of ${DELIVERIES} keys to the transport exactly once and reconcile the outbox`, async () => {
    const began = Date.now();
    const seed = harnessSeed();
    const processes = PROCESSES[backend.name]!;
    checkLeaseFits({
      ...DELIVERY,
      speed: SPEED,
      wavesPerTick: DELIVERY.maxPerTick / DELIVERY.concurrency,
      overheadMs: 2000,
    });
    const database = await backend.create();
    const parent = createScheduler({
      store: openParentStore(database),
      transport: {
        send() {
          throw new Error('the parent process never ticks');
        },
      },
      options: { clock: () => new Date(START) },
    });
    const fleet = await new Fleet({
      location: sharedLocation(database),
      delivery: DELIVERY,
      idleMs: 20,
      seed,
    }).prepare();
    let exits: Exit[] = [];
    try {
      await parent.migrate();
      // The workers boot (a few seconds of module loading) while the parent seeds; they wait at the barrier.
      for (let slot = 0; slot < processes; slot++) fleet.start(slot);
      // Engine workloads (recurring runs, sequence steps, timezone batches) join this list.
      const workloads: Workload[] = [directWorkload({ count: DELIVERIES, seed, parallel: 12 })];
      const expected = await seedAll(parent, { start: new Date(START), spanMs: SPAN_MS }, workloads);
      const total = expected.reduce((n, e) => n + e.count, 0);

      await fleet.waitReady(processes);
      fleet.go(START, SPEED);
      try {
        await waitUntilSettled(
          parent,
          total,
          120_000,
          () => `seed ${seed}; tick errors: ${JSON.stringify(fleet.tickErrors().slice(0, 5))}`,
        );
      } finally {
        exits = await fleet.stop();
      }
      for (const exit of exits) expect(exit).toMatchObject({ pid: exit.pid, code: 0, stderr: '' });

      const lines = fleet.calls();
      const result = reconcile({
        expected,
        rows: await readOutbox(database),
        lines,
        leaseMs: DELIVERY.leaseMs,
      });
      const tickErrors = fleet.tickErrors();
      printFigures({
        harness: 'many-processes',
        backend: backend.name,
        processes,
        deliveries: result.deliveries,
        calls: result.calls,
        duplicates: result.duplicates,
        lost: result.lost,
        retries: result.retries,
        dead: result.dead,
        kills: 0,
        tickErrors: tickErrors.length,
        seed,
        seconds: (Date.now() - began) / 1000,
      });
      expect(result.problems, `seed ${seed}, logs in ${fleet.dir}`).toEqual([]);
      expect({
        deliveries: result.deliveries,
        calls: result.calls,
        duplicates: result.duplicates,
        lost: result.lost,
        sent: result.sent,
        dead: result.dead,
      }).toEqual({
        deliveries: total,
        calls: total,
        duplicates: 0,
        lost: 0,
        sent: total,
        dead: 0,
      });
      expect(await parent.deliveries.counts()).toMatchObject({
        sent: total,
        pending: 0,
        sending: 0,
        retrying: 0,
        dead: 0,
      });
      // Every process took part: the claims really were concurrent.
      expect(new Set(lines.map((l) => l.pid)).size).toBe(processes);
      fleet.removeFiles();
    } finally {
      await parent.close();
      await database.destroy();
    }
  }, 240_000);
});
