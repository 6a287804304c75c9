/*
 * A separate OS process for the multi-process tests: it opens its own store on the
 * database the parent names, optionally migrates, ticks, and appends every transport
 * call to its own log file (one line per call, written synchronously, so the log is
 * complete however the process ends).
 */
import { appendFileSync } from 'node:fs';
import { createScheduler } from '../../src/index.js';
import { openWorkerStore, waitAtBarrier, type WorkerLocation } from './worker-process.js';

interface WorkerConfig {
  location: WorkerLocation;
  migrate: boolean;
  /** Tick instants (ISO); each is ticked until it reports nothing more due. */
  ticks: string[];
  logPath: string;
  concurrency: number;
  sendDelayMs: number;
  /** Start barrier: write `<barrier>.<pid>.ready`, then wait until `<barrier>` exists. */
  barrier?: string;
}

const config = JSON.parse(process.argv[2]!) as WorkerConfig;
const store = openWorkerStore(config.location);

const scheduler = createScheduler({
  store,
  transport: {
    async send(message, context) {
      appendFileSync(config.logPath, `${process.pid} ${context.idempotencyKey} ${context.attempt}\n`);
      if (config.sendDelayMs > 0) await new Promise((r) => setTimeout(r, config.sendDelayMs));
    },
  },
  options: { delivery: { concurrency: config.concurrency, maxPerTick: 50 } },
});

await waitAtBarrier(config.barrier);
if (config.migrate) await scheduler.migrate();
for (const iso of config.ticks) {
  let summary;
  do summary = await scheduler.tick(new Date(iso));
  while (summary.moreDue);
}
await scheduler.close();
