/*
 * The fan-out of bench/batches.ts, in a process of its own so its peak RSS is measured alone.
 * Argument: JSON `{ backend, path?, schema?, size, enqueueLimit? }`. Prints one JSON line (FanOutResult).
 */
import { createScheduler } from '../src/index.js';
import { postgresStore } from '../src/postgres/index.js';
import { sqliteStore } from '../src/sqlite/index.js';
import type { FanOutResult } from './batches.js';
import { mib, noopTransport, PG_URL, seconds } from './support.js';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  backend: 'sqlite' | 'postgres';
  path?: string;
  schema?: string;
  size: number;
  /** Stop enqueueing once this many are in the outbox (the rate is measured on a part). */
  enqueueLimit?: number;
};

/** Before every zone's 09:00 on 2026-06-01 (UTC+14 reaches it at 2026-05-31T19:00Z). */
const CREATED_AT = new Date('2026-05-31T00:00:00Z');
/** After every zone's 09:00 on 2026-06-01 (UTC-12 reaches it at 2026-06-01T21:00Z). */
const ENQUEUE_AT = new Date('2026-06-02T00:00:00Z');

const zones = Intl.supportedValuesOf('timeZone');

/**
 * Heap in use, sampled from inside the work (on SQLite the whole fan-out is one chain of
 * microtasks, so a timer would never fire while it runs).
 */
let peakHeap = 0;
const sampleHeap = () => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
};

async function* recipients(count: number) {
  for (let i = 0; i < count; i++) {
    if (i % 10_000 === 0) sampleHeap();
    yield { email: `r${i}@example.org`, name: `Recipient ${i}`, timezone: zones[i % zones.length] };
  }
}

const store =
  args.backend === 'sqlite'
    ? sqliteStore(args.path!)
    : postgresStore(PG_URL, { schema: args.schema!, maxConnections: 2 });
const scheduler = createScheduler({ store, transport: noopTransport, options: { clock: () => CREATED_AT } });
await scheduler.batches.list({ limit: 1 }); // connect and warm up before the baseline
global.gc?.();
const baselineRss = process.memoryUsage().rss;

let start = process.hrtime.bigint();
const created = await scheduler.batches.createTimezoneBatches(1, recipients(args.size), {
  time: '09:00',
  date: '2026-06-01',
});
const createSeconds = seconds(start);
const peakRssCreate = process.resourceUsage().maxRSS * 1024;

start = process.hrtime.bigint();
let enqueued = 0;
for (;;) {
  const summary = await scheduler.batches.processScheduledBatches(ENQUEUE_AT);
  enqueued += summary.processed;
  sampleHeap();
  if (!summary.moreDue && summary.processed === 0) break;
  if (args.enqueueLimit !== undefined && enqueued >= args.enqueueLimit) break;
}
const enqueueSeconds = seconds(start);
await scheduler.close();

const result: FanOutResult = {
  recipients: created.scheduledCount,
  batches: created.batches.length,
  zones: zones.length,
  fallbacks: created.fallback.count,
  createSeconds,
  enqueued,
  enqueueSeconds,
  baselineRssMiB: mib(baselineRss),
  peakRssCreateMiB: mib(peakRssCreate),
  peakRssTotalMiB: mib(process.resourceUsage().maxRSS * 1024),
  peakHeapMiB: mib(peakHeap),
};
console.log(JSON.stringify(result));
