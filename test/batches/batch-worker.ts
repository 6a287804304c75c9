/*
 * A separate OS process for the batch process tests: opens its own store on the parent's
 * database and either ticks (`mode: 'tick'`) or runs only the batch phase (`mode: 'phase'`),
 * each instant until nothing more is due. Every transport call and every phase call is
 * appended synchronously to a log, so the log is complete however the process ends.
 */
import { appendFileSync } from 'node:fs';
import { createScheduler, type SchedulerOptions } from '../../src/index.js';
import { openWorkerStore, waitAtBarrier, type WorkerLocation } from '../support/worker-process.js';

interface WorkerConfig {
  location: WorkerLocation;
  mode: 'tick' | 'phase';
  ticks: string[];
  logPath: string;
  options: SchedulerOptions;
  /** Real delay after each phase call, so a parent can stop the process between calls. */
  pauseMs: number;
  barrier?: string;
}

const config = JSON.parse(process.argv[2]!) as WorkerConfig;
const store = openWorkerStore(config.location);

const scheduler = createScheduler({
  store,
  transport: {
    async send(_message, context) {
      appendFileSync(config.logPath, `send ${process.pid} ${context.idempotencyKey}\n`);
      await new Promise((r) => setTimeout(r, 1));
    },
  },
  options: config.options,
});

await waitAtBarrier(config.barrier);
for (const iso of config.ticks) {
  const now = new Date(iso);
  for (;;) {
    let processed: number;
    let moreDue: boolean;
    if (config.mode === 'tick') {
      const summary = await scheduler.tick(now);
      processed = summary.phases['batches']?.processed ?? 0;
      moreDue = summary.moreDue;
    } else {
      ({ processed, moreDue } = await scheduler.batches.processScheduledBatches(now));
    }
    appendFileSync(config.logPath, `phase ${process.pid} ${processed}\n`);
    if (config.pauseMs > 0) await new Promise((r) => setTimeout(r, config.pauseMs));
    if (!moreDue) break;
  }
}
await scheduler.close();
