import { describe, expect, it } from 'vitest';
import { backends, migrationNames } from '../support/backends.js';
import { setup, START } from '../support/harness.js';
import { readCalls, runWorkersTogether } from '../support/processes.js';

// PGlite lives inside one process, so only the file and the server are shared across processes.
const shared = backends.filter((b) => b.name !== 'pglite');

describe.each(shared)('several OS processes on one $name database', (backend) => {
  it('migrate concurrently from three processes on a fresh database', async () => {
    const database = await backend.create();
    try {
      const runs = await runWorkersTogether(3, {
        location: database.location,
        migrate: true,
        ticks: [],
        concurrency: 1,
        sendDelayMs: 0,
      });
      for (const run of runs) expect(run.stderr, run.stderr).toBe('');
      expect(runs.map((r) => r.exitCode)).toEqual([0, 0, 0]);
      expect(await database.raw('select name from tickwork_migration')).toHaveLength(
        (await migrationNames()).length,
      );
    } finally {
      await database.destroy();
    }
  });

  it('three processes ticking at once hand every key to the transport exactly once', async () => {
    const { scheduler, database } = await setup(backend);
    const total = 600;
    const minute = 60_000;
    const t0 = new Date(START).getTime();
    for (let i = 0; i < total; i++) {
      await scheduler.deliveries.enqueue({
        idempotencyKey: `k${i}`,
        to: `r${i}@x.org`,
        subject: 's',
        dueAt: new Date(t0 + (i % 3) * minute),
      });
    }
    const ticks = [0, 1, 2, 3].map((m) => new Date(t0 + m * minute).toISOString());
    const runs = await runWorkersTogether(3, {
      location: database.location,
      migrate: false,
      ticks,
      concurrency: 8,
      sendDelayMs: 2,
    });
    for (const run of runs) expect(run.stderr, run.stderr).toBe('');
    const calls = runs.flatMap(readCalls);
    const keys = calls.map((c) => c.key);
    const duplicates = keys.length - new Set(keys).size;
    const lost = total - new Set(keys).size;
    expect({ calls: keys.length, duplicates, lost }).toEqual({ calls: total, duplicates: 0, lost: 0 });
    // Every process did part of the work: the claims really were concurrent.
    expect(new Set(calls.map((c) => c.pid)).size).toBe(3);
    expect((await scheduler.deliveries.counts()).sent).toBe(total);
  });
});
