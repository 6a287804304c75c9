/*
 * Crashes (issue #8): worker processes are killed with SIGKILL at seeded random moments —
 * each while it has a send in flight — and restarted, while the others keep ticking. The
 * lease is short (4 wall seconds), so rows a dead worker had claimed are claimed again within
 * the test. Afterwards every delivery is sent or dead, none is lost, and the only keys handed
 * to the transport twice are ones whose earlier call came from a killed process and whose
 * lease had expired, carrying the same key with a higher attempt.
 */
import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../src/index.js';
import { backends } from '../support/backends.js';
import { openParentStore, sharedLocation } from './support/databases.js';
import { Fleet, sleep, type Exit } from './support/fleet.js';
import { harnessSeed, mulberry32 } from './support/prng.js';
import { printFigures, readOutbox, reconcile, waitUntilSettled } from './support/reconcile.js';
import { checkLeaseFits } from './support/sim-clock.js';
import { directWorkload, seedAll } from './support/workload.js';

const shared = backends.filter((b) => b.name !== 'pglite');
const PROCESSES: Record<string, number> = { sqlite: 3, postgres: 4 };
const DELIVERIES = 4000;
const KILLS = 10;
const START = Date.parse('2026-03-02T08:00:00.000Z');
/** One simulated minute of due times, run at 10x: six wall seconds of work. */
const SPAN_MS = 60_000;
const SPEED = 10;
/**
 * A lease of 40 simulated seconds is 4 wall seconds: long enough for a healthy worker's
 * one-wave tick (sends of at most 40 ms, a send timeout of 1 s, claim and record), short
 * enough that a killed worker's rows come back within the test. maxPerTick = concurrency keeps
 * each tick to one wave, so every lease is stamped from a fresh `now`.
 */
const DELIVERY = { concurrency: 20, maxPerTick: 20, leaseMs: 40_000, sendTimeoutMs: 1000 };

describe.each(shared)('worker processes killed with SIGKILL while ticking one $name database', (backend) => {
  it('lose nothing, and re-send only what a killed process held once its lease expired', async () => {
    const began = Date.now();
    const seed = harnessSeed();
    const random = mulberry32(seed);
    const processes = PROCESSES[backend.name]!;
    checkLeaseFits({ ...DELIVERY, speed: SPEED, wavesPerTick: 1, overheadMs: 2500 });
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
      // Sends take 5-40 ms, so a kill usually lands with calls in flight.
      delay: { seed, minMs: 5, maxMs: 40 },
      idleMs: 20,
      seed,
    }).prepare();
    const kills: Array<{ slot: number; pid: number; inFlight: number }> = [];
    let exits: Exit[] = [];
    try {
      await parent.migrate();
      for (let slot = 0; slot < processes; slot++) fleet.start(slot);
      const expected = await seedAll(parent, { start: new Date(START), spanMs: SPAN_MS }, [
        directWorkload({ count: DELIVERIES, seed, parallel: 12 }),
      ]);
      await fleet.waitReady(processes);
      fleet.go(START, SPEED);

      try {
        while (kills.length < KILLS) {
          await sleep(300 + Math.floor(random() * 600));
          const slot = Math.floor(random() * processes);
          if (fleet.pidOf(slot) === undefined) continue;
          // Wait (briefly) for a moment when the victim has sends in flight.
          const deadline = Date.now() + 1000;
          while (fleet.inFlight(slot) === 0 && Date.now() < deadline) await sleep(1);
          const inFlight = fleet.inFlight(slot);
          const pid = await fleet.kill(slot);
          kills.push({ slot, pid, inFlight });
          fleet.start(slot);
        }
        await waitUntilSettled(
          parent,
          DELIVERIES,
          120_000,
          () => `seed ${seed}; tick errors: ${JSON.stringify(fleet.tickErrors().slice(0, 5))}`,
        );
      } finally {
        exits = await fleet.stop();
      }
      for (const exit of exits) {
        const expectedExit = exit.killed
          ? { pid: exit.pid, code: null, signal: 'SIGKILL' }
          : { pid: exit.pid, code: 0, signal: null, stderr: '' };
        expect(exit).toMatchObject(expectedExit);
      }

      const rows = await readOutbox(database);
      const result = reconcile({
        expected,
        rows,
        lines: fleet.calls(),
        killed: fleet.killed,
        leaseMs: DELIVERY.leaseMs,
      });
      const reclaimed = rows.filter((r) => r.attempts > 1).length;
      printFigures({
        harness: 'crashes',
        backend: backend.name,
        processes,
        deliveries: result.deliveries,
        calls: result.calls,
        duplicates: result.duplicates,
        lost: result.lost,
        retries: result.retries,
        dead: result.dead,
        kills: kills.length,
        resent: result.resentAfterKill,
        tickErrors: fleet.tickErrors().length,
        seed,
        seconds: (Date.now() - began) / 1000,
      });
      expect(result.problems, `seed ${seed}, logs in ${fleet.dir}`).toEqual([]);
      expect(result.lost).toBe(0);
      expect(result.sent + result.dead).toBe(DELIVERIES);
      // No transport failures here: a row can only die by losing every attempt to kills.
      for (const row of rows.filter((r) => r.status === 'dead'))
        expect(row.lastError).toMatch(/lease expired on each of/);
      // Every repeat is explained by a kill (checked above); and the kills did hit claimed rows.
      expect(result.duplicates).toBe(result.resentAfterKill);
      expect(kills.length).toBe(KILLS);
      expect(
        reclaimed,
        `no row was ever claimed again (seed ${seed}, kills ${JSON.stringify(kills)})`,
      ).toBeGreaterThan(0);
      fleet.removeFiles();
    } finally {
      await parent.close();
      await database.destroy();
    }
  }, 240_000);
});
