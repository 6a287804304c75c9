/*
 * Transport faults (issue #8): worker processes tick through deliveries with a transport that
 * fails about 30% of its calls — some with a retryable error, some by never settling (the send
 * timeout aborts them), some permanently (PermanentDeliveryError). The fate of each call is a
 * seeded function of (key, attempt), so the end state of every row is known in advance: the
 * outbox must match it row by row — status, attempts and last error — and every call must
 * appear in the transport's log exactly once per attempt.
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { createParent, sharedLocation } from './support/databases.js';
import { Fleet, type Exit } from './support/fleet.js';
import { harnessSeed } from './support/prng.js';
import { printFigures, readOutbox, reconcile, waitUntilSettled } from './support/reconcile.js';
import {
  fateOf,
  PERMANENT_MESSAGE,
  transientMessage,
  type FaultPlan,
  type SendFate,
} from './support/recording-transport.js';
import { checkLeaseFits } from './support/sim-clock.js';
import { directWorkload, seedAll } from './support/workload.js';

const shared = backends.filter((b) => b.name !== 'pglite');
const PROCESSES = 2;
const DELIVERIES = 2000;
const START = Date.parse('2026-03-02T08:00:00.000Z');
const SPAN_MS = 30_000;
const SPEED = 20;
const DELIVERY = { concurrency: 25, maxPerTick: 25, leaseMs: 120_000, sendTimeoutMs: 150 };
/** Retries after 1-2 and 2-4 simulated seconds (equal jitter), then the third failure is final. */
const RETRY = { maxAttempts: 3, baseDelayMs: 2000, maxDelayMs: 8000 };

interface Expectation {
  status: 'sent' | 'dead';
  attempts: number;
  lastError: string | RegExp | null;
  fates: SendFate[];
}

/** What must become of one row, from the fates of its attempts. */
function expectationFor(plan: FaultPlan, key: string): Expectation {
  const fates: SendFate[] = [];
  for (let attempt = 1; attempt <= RETRY.maxAttempts; attempt++) {
    const fate = fateOf(plan, key, attempt);
    fates.push(fate);
    if (fate === 'ok') return { status: 'sent', attempts: attempt, lastError: null, fates };
    if (fate === 'permanent')
      return { status: 'dead', attempts: attempt, lastError: PERMANENT_MESSAGE, fates };
    if (attempt === RETRY.maxAttempts) {
      const lastError =
        fate === 'transient'
          ? transientMessage(attempt)
          : `transport.send did not settle within ${DELIVERY.sendTimeoutMs} ms`;
      return { status: 'dead', attempts: attempt, lastError, fates };
    }
  }
  throw new Error('unreachable');
}

describe.each(shared)('a transport failing 30% of calls, on $name', (backend) => {
  it('ends every row sent or dead after its retries, exactly as the failures dictate', async () => {
    const began = Date.now();
    const seed = harnessSeed();
    const faults: FaultPlan = { seed, transientRate: 0.15, timeoutRate: 0.075, permanentRate: 0.075 };
    checkLeaseFits({ ...DELIVERY, speed: SPEED, wavesPerTick: 1, overheadMs: 2000 });
    const database = await backend.create();
    const parent = createParent(database, START);
    const fleet = await new Fleet({
      location: sharedLocation(database),
      delivery: DELIVERY,
      retry: RETRY,
      faults,
      idleMs: 10,
      seed,
    }).prepare();
    let exits: Exit[] = [];
    try {
      await parent.migrate();
      for (let slot = 0; slot < PROCESSES; slot++) fleet.start(slot);
      const expected = await seedAll(parent, { start: new Date(START), spanMs: SPAN_MS }, [
        directWorkload({ count: DELIVERIES, seed, parallel: 12 }),
      ]);
      await fleet.waitReady(PROCESSES);
      fleet.go(START, SPEED);
      try {
        await waitUntilSettled(
          parent,
          DELIVERIES,
          120_000,
          () => `seed ${seed}; tick errors: ${JSON.stringify(fleet.tickErrors().slice(0, 5))}`,
        );
      } finally {
        exits = await fleet.stop();
      }
      for (const exit of exits) expect(exit).toMatchObject({ pid: exit.pid, code: 0, stderr: '' });

      const rows = await readOutbox(database);
      const result = reconcile({ expected, rows, lines: fleet.calls(), leaseMs: DELIVERY.leaseMs });
      printFigures({
        harness: 'transport-faults',
        backend: backend.name,
        processes: PROCESSES,
        deliveries: result.deliveries,
        calls: result.calls,
        duplicates: result.duplicates,
        lost: result.lost,
        retries: result.retries,
        dead: result.dead,
        kills: 0,
        tickErrors: fleet.tickErrors().length,
        seed,
        seconds: (Date.now() - began) / 1000,
      });
      expect(result.problems, `seed ${seed}, logs in ${fleet.dir}`).toEqual([]);
      expect({ duplicates: result.duplicates, lost: result.lost }).toEqual({ duplicates: 0, lost: 0 });

      // Row by row: the outbox and the transport's log say exactly what the fates dictate.
      const mismatches: string[] = [];
      const tally = { sent: 0, dead: 0, permanent: 0, exhausted: 0, timeouts: 0 };
      for (const row of rows) {
        const want = expectationFor(faults, row.key);
        const calls = result.byKey.get(row.key) ?? [];
        const got = {
          status: row.status,
          attempts: row.attempts,
          attemptsCalled: calls.map((c) => c.begin.attempt),
          outcomes: calls.map((c) => c.end?.outcome),
        };
        const wantOutcomes = want.fates.map((f) => (f === 'ok' ? 'sent' : f));
        const errorOk = want.lastError === null ? row.lastError === null : row.lastError === want.lastError;
        if (
          got.status !== want.status ||
          got.attempts !== want.attempts ||
          !errorOk ||
          got.attemptsCalled.join() !== want.fates.map((_, i) => i + 1).join() ||
          got.outcomes.join() !== wantOutcomes.join()
        ) {
          if (mismatches.length < 10) {
            mismatches.push(
              `${row.key}: got ${JSON.stringify({ ...got, lastError: row.lastError })}, want ${JSON.stringify({ ...want, lastError: String(want.lastError) })}`,
            );
          }
        }
        tally[want.status] += 1;
        if (want.status === 'dead')
          tally[want.lastError === PERMANENT_MESSAGE ? 'permanent' : 'exhausted'] += 1;
        tally.timeouts += want.fates.filter((f) => f === 'timeout').length;
      }
      expect(mismatches, `seed ${seed}`).toEqual([]);
      expect({ sent: result.sent, dead: result.dead }).toEqual({ sent: tally.sent, dead: tally.dead });
      expect(result.sent + result.dead).toBe(DELIVERIES);
      // The seeded plan really exercised every kind of failure.
      expect(tally.permanent).toBeGreaterThan(0);
      expect(tally.timeouts).toBeGreaterThan(0);
      expect(result.retries).toBeGreaterThan(0);
      fleet.removeFiles();
    } finally {
      await parent.close();
      await database.destroy();
    }
  }, 240_000);
});
