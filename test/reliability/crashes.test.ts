/*
 * Crashes (issue #8): worker processes are killed with SIGKILL at seeded random moments —
 * each while it has a send in flight — and restarted, while the others keep ticking through
 * one simulated day of more than 20,000 deliveries: recurring runs, sequence steps and timezone
 * batches (together over 12,000), and direct messages. A kill may land in any phase: a run
 * being resolved, a batch being enqueued, a wave of sends. Leases last 6 wall seconds, so what
 * a dead worker held is taken over within the test. Afterwards every delivery is sent or dead,
 * none is lost, the engines' records show their work done, and the only keys handed to the
 * transport twice are ones whose earlier call came from a killed process and whose lease had
 * expired, carrying the same key with a higher attempt.
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { createParent, sharedLocation } from './support/databases.js';
import { dayOfWork, totals } from './support/engine-workloads.js';
import { Fleet, sleep, type Exit } from './support/fleet.js';
import { harnessSeed, mulberry32 } from './support/prng.js';
import { printFigures, readOutbox, reconcile, waitUntilSettled } from './support/reconcile.js';
import { checkLeaseFits, scaledEngineOptions } from './support/sim-clock.js';
import { seedAll, verifyAll } from './support/workload.js';

const shared = backends.filter((b) => b.name !== 'pglite');
const PROCESSES: Record<string, number> = { sqlite: 3, postgres: 4 };
const DIRECT = 8000;
const KILLS = 12;
/** A Monday morning, with no DST change in any zone the workloads use for a day after it. */
const START = Date.parse('2026-03-02T08:00:00.000Z');
/** One simulated day (the engines' schedules need hours), run in 30 wall seconds. */
const SPAN_MS = 24 * 60 * 60_000;
const SPEED = 2880;
const SPAN_WALL_MS = SPAN_MS / SPEED;
/**
 * Every lease (a claimed send, a run being resolved, a batch being enqueued) lasts 6 wall
 * seconds: longer than a healthy tick — its engine phases within the small budgets below, then
 * one wave of sends (of at most 40 ms, a send timeout of 1 s) and its record — and short enough
 * that what a killed worker held comes back within the test. maxPerTick = concurrency keeps each
 * tick to one wave, so every lease is stamped from a fresh `now`.
 */
const LEASE_WALL_MS = 6000;
const DELIVERY = { concurrency: 20, maxPerTick: 20, leaseMs: LEASE_WALL_MS * SPEED, sendTimeoutMs: 1000 };
const ENGINES = scaledEngineOptions(SPEED, LEASE_WALL_MS);

describe.each(shared)('worker processes killed with SIGKILL while ticking one $name database', (backend) => {
  it('lose nothing, and re-send only what a killed process held once its lease expired', async () => {
    const began = Date.now();
    const seed = harnessSeed();
    const random = mulberry32(seed);
    const processes = PROCESSES[backend.name]!;
    checkLeaseFits({ ...DELIVERY, speed: SPEED, wavesPerTick: 1, overheadMs: 3500 });
    const database = await backend.create();
    const parent = createParent(database, START);
    const fleet = await new Fleet({
      location: sharedLocation(database),
      delivery: DELIVERY,
      recurring: { ...ENGINES.recurring, maxRunsPerTick: 5 },
      sequences: { maxEnrollmentsPerTick: 250 },
      batches: { ...ENGINES.batches, maxRecipientsPerTick: 1000 },
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
      const workloads = dayOfWork(seed, DIRECT);
      const expected = await seedAll(parent, { start: new Date(START), spanMs: SPAN_MS }, workloads);
      const { total, fromEngines } = totals(expected);
      expect(total).toBeGreaterThanOrEqual(20_000);
      expect(fromEngines).toBeGreaterThanOrEqual(12_000);
      await fleet.waitReady(processes);
      fleet.go(START, SPEED);

      try {
        // The kills are spread over the simulated day, so they hit every kind of work.
        const gap = SPAN_WALL_MS / KILLS;
        while (kills.length < KILLS) {
          await sleep(Math.floor(gap * (0.5 + random())));
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
          total,
          SPAN_WALL_MS + 120_000,
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
      const engineProblems = await verifyAll(parent, workloads);
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
        bySource: result.bySource,
      });
      expect(result.problems, `seed ${seed}, logs in ${fleet.dir}`).toEqual([]);
      expect(result.lost).toBe(0);
      expect(result.sent + result.dead).toBe(total);
      // Per source: every expected delivery has its row, and each ended sent or dead.
      for (const [source, figures] of Object.entries(result.bySource)) {
        expect({ source, rows: figures.rows, settled: figures.sent + figures.dead }).toEqual({
          source,
          rows: figures.expected,
          settled: figures.expected,
        });
      }
      expect(Object.keys(result.bySource)).toEqual(['batch', 'direct', 'recurring', 'sequence']);
      // No transport failures here: a row can only die by losing every attempt to kills.
      for (const row of rows.filter((r) => r.status === 'dead'))
        expect(row.lastError).toMatch(/lease expired on each of/);
      // The engines finished their work despite the kills (runs taken over, batches resumed).
      expect(engineProblems, `seed ${seed}`).toEqual([]);
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
  }, 420_000);
});
