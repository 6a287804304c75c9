import { describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { readCalls, runWorkersTogether } from '../support/processes.js';
import { campaignInput, iso, runsOf, setupRecurring } from './helpers.js';

// PGlite lives inside one process, so only the file and the server are shared across processes.
const shared = backends.filter((b) => b.name !== 'pglite');

describe.each(shared)(
  'recurring campaigns ticked by several OS processes on one $name database',
  (backend) => {
    it('three processes ticking at once run each occurrence once and send each recipient one message', async () => {
      const { scheduler, database, clock } = await setupRecurring(backend);
      clock.set('2026-03-02T08:59:30Z');
      const ids: number[] = [];
      for (let c = 0; c < 8; c++) {
        const recipients = Array.from({ length: 10 }, (_, i) => `c${c}-r${i}@x.org`);
        ids.push(
          (
            await scheduler.recurring.create(
              campaignInput({ name: `c${c}`, scheduleCron: '* * * * *', recipientData: recipients }),
            )
          ).id,
        );
      }
      const runs = await runWorkersTogether(3, {
        location: database.location,
        migrate: false,
        // Tick instants stay within the leases (5 min) of each other, as wall-clock ticks of
        // processes running side by side do.
        ticks: ['2026-03-02T09:00:00.000Z', '2026-03-02T09:00:30.000Z', '2026-03-02T09:01:00.000Z'],
        concurrency: 4,
        sendDelayMs: 1,
      });
      for (const run of runs) expect(run.stderr, run.stderr).toBe('');
      expect(runs.map((r) => r.exitCode)).toEqual([0, 0, 0]);

      const keys = runs.flatMap(readCalls).map((c) => c.key);
      expect({ calls: keys.length, distinct: new Set(keys).size }).toEqual({
        calls: 8 * 10 * 2,
        distinct: 8 * 10 * 2,
      });
      for (const id of ids) {
        const campaignRuns = await runsOf(scheduler, id);
        expect(iso(campaignRuns.map((r) => r.scheduledAt))).toEqual([
          '2026-03-02T09:00:00.000Z',
          '2026-03-02T09:01:00.000Z',
        ]);
        expect(campaignRuns.map((r) => [r.status, r.recipientCount, r.deliveries.sent])).toEqual([
          ['completed', 10, 10],
          ['completed', 10, 10],
        ]);
      }
    });
  },
);
