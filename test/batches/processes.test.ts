import { describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { setup } from '../support/harness.js';
import { readLog, runBatchWorker, runBatchWorkersTogether } from './workers.js';

// PGlite lives inside one process, so only the file and the server are shared across processes.
const shared = backends.filter((b) => b.name !== 'pglite');

const DUE = new Date('2026-03-05T09:00:00Z');
const people = (count: number, timezone: string, prefix: string) =>
  Array.from({ length: count }, (_, i) => ({ email: `${prefix}${i}@x.org`, timezone }));

describe.each(shared)('timezone batches across OS processes on $name', (backend) => {
  it('a process killed in the middle of a batch loses nothing: the next ticker resumes at its cursor', async () => {
    const batches = { maxRecipientsPerTick: 200, chunkSize: 100, leaseMs: 60_000 };
    const { scheduler, transport, database } = await setup(backend, {
      batches,
      delivery: { concurrency: 100, maxPerTick: 5000 },
    });
    const total = 2000;
    const created = await scheduler.batches.createTimezoneBatches(40, people(total, 'UTC', 'r'), {
      time: '09:00',
      date: '2026-03-05',
    });
    const id = created.batches[0]!.id;

    const run = await runBatchWorker(
      {
        location: database.location,
        mode: 'phase',
        ticks: [DUE.toISOString()],
        options: { batches },
        pauseMs: 40,
      },
      (child, logPath) => {
        const poll = setInterval(() => {
          if (readLog(logPath).phases.length >= 3) {
            clearInterval(poll);
            child.kill('SIGKILL');
          }
        }, 5);
        child.on('exit', () => clearInterval(poll));
      },
    );
    expect(run.signal, run.stderr).toBe('SIGKILL');
    const stopped = await scheduler.batches.get(id);
    expect(stopped.status).toBe('processing');
    expect(stopped.enqueuedCount).toBeGreaterThanOrEqual(600);
    expect(stopped.enqueuedCount).toBeLessThan(total);
    // Chunks commit whole: the cursor and the outbox agree.
    expect(stopped.enqueuedCount % 100).toBe(0);
    expect(stopped.counts.pending).toBe(stopped.enqueuedCount);

    // Whether it died between ticks or inside one, the work is free again once its lease expires.
    const later = new Date(DUE.getTime() + 60_000);
    let summary;
    do summary = await scheduler.tick(later);
    while (summary.moreDue);
    expect(await scheduler.batches.get(id)).toMatchObject({
      status: 'done',
      enqueuedCount: total,
      counts: { recipients: total, sent: total, pending: 0, dead: 0 },
    });
    expect(transport.sentKeys).toHaveLength(total);
    expect(new Set(transport.sentKeys).size).toBe(total);
  });

  it('three processes ticking at once enqueue and send every recipient exactly once', async () => {
    const { scheduler, database } = await setup(backend);
    const created = await scheduler.batches.createTimezoneBatches(
      41,
      [...people(200, 'UTC', 'u'), ...people(200, 'Asia/Tokyo', 't'), ...people(200, 'America/Denver', 'd')],
      { time: '09:00', date: '2026-03-05' },
    );
    const runs = await runBatchWorkersTogether(3, {
      location: database.location,
      mode: 'tick',
      ticks: ['2026-03-05T16:00:00.000Z'],
      options: {
        batches: { maxRecipientsPerTick: 100, chunkSize: 50 },
        delivery: { concurrency: 20, maxPerTick: 100 },
      },
    });
    for (const run of runs) expect(run.stderr, run.stderr).toBe('');
    const logs = runs.map((run) => readLog(run.logPath));
    const keys = logs.flatMap((log) => log.sends.map((s) => s.key));
    expect({ calls: keys.length, distinct: new Set(keys).size }).toEqual({ calls: 600, distinct: 600 });
    expect(logs.reduce((sum, log) => sum + log.phases.reduce((a, b) => a + b, 0), 0)).toBe(600);
    // More than one process enqueued: the claims really were concurrent.
    expect(logs.filter((log) => log.phases.some((n) => n > 0)).length).toBeGreaterThan(1);
    for (const batch of created.batches) {
      expect(await scheduler.batches.get(batch.id)).toMatchObject({
        status: 'done',
        enqueuedCount: 200,
        counts: { sent: 200, pending: 0 },
      });
    }
  });
});
