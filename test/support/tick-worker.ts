/*
 * A separate OS process for the multi-process tests: it opens its own store on the
 * database the parent names, optionally migrates, ticks, and appends every transport
 * call to its own log file (one line per call, written synchronously, so the log is
 * complete however the process ends).
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { createScheduler } from '../../src/index.js';
import { postgresStore } from '../../src/postgres/index.js';
import { sqliteStore } from '../../src/sqlite/index.js';

interface WorkerConfig {
  location: { kind: 'sqlite'; path: string } | { kind: 'postgres'; connectionString: string; schema: string };
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
const store =
  config.location.kind === 'sqlite'
    ? sqliteStore(config.location.path)
    : postgresStore(config.location.connectionString, { schema: config.location.schema, maxConnections: 2 });

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

if (config.barrier) {
  writeFileSync(`${config.barrier}.${process.pid}.ready`, '');
  while (!existsSync(config.barrier)) await new Promise((r) => setTimeout(r, 2));
}
if (config.migrate) await scheduler.migrate();
for (const iso of config.ticks) {
  let summary;
  do summary = await scheduler.tick(new Date(iso));
  while (summary.moreDue);
}
await scheduler.close();
