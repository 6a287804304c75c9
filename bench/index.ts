/*
 * `npm run bench`: every benchmark in one run (so ratios compare figures taken under the
 * same machine load), printed as one table and written to bench/results.json.
 *
 *   npm run bench                          # all
 *   npm run bench -- time delivery         # a subset: time, delivery, drip, batches, idle
 *   TICKWORK_BENCH_QUICK=1 npm run bench   # smaller sizes, a smoke run of under a minute
 *
 * Postgres: TICKWORK_BENCH_PG (else TICKWORK_TEST_PG, else postgres://postgres@127.0.0.1:5432/test);
 * each benchmark works in a schema of its own, dropped afterwards. TICKWORK_BENCH_BACKENDS=sqlite
 * (or postgres) runs one backend only. TICKWORK_BENCH_SQLITE_SYNC=NORMAL runs SQLite (raw and
 * store alike; not the batch fan-out) with synchronous=NORMAL instead of the default FULL.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchBatches } from './batches.js';
import { benchDelivery } from './delivery.js';
import { benchDrip } from './drip.js';
import { benchIdle, type PlanReport } from './idle.js';
import { formatTable, loadAverage, QUICK, type BenchBackend, type BenchRow } from './support.js';
import { benchTime } from './time.js';

const BENCHES = ['time', 'delivery', 'drip', 'batches', 'idle'] as const;
const selected = new Set(process.argv.slice(2));
for (const name of selected) {
  if (!(BENCHES as readonly string[]).includes(name)) {
    console.error(`unknown benchmark '${name}'; choose from ${BENCHES.join(', ')}`);
    process.exit(2);
  }
}
const wants = (name: (typeof BENCHES)[number]) => selected.size === 0 || selected.has(name);
const backends = (process.env.TICKWORK_BENCH_BACKENDS ?? 'sqlite,postgres').split(',') as BenchBackend[];
if (backends.length === 0 || backends.some((b) => b !== 'sqlite' && b !== 'postgres')) {
  console.error(`TICKWORK_BENCH_BACKENDS: a comma-separated list of sqlite, postgres`);
  process.exit(2);
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const started = new Date();
console.log(`tickwork benchmarks — ${started.toISOString()} — ${machine}${QUICK ? ' — QUICK' : ''}`);

const rows: BenchRow[] = [];
const loads: Array<{ bench: string; before: string; after: string; seconds: number }> = [];
let plans: PlanReport[] = [];

async function run(name: (typeof BENCHES)[number], fn: () => Promise<BenchRow[]>): Promise<void> {
  if (!wants(name)) return;
  const before = loadAverage();
  const start = Date.now();
  console.log(`\n[${name}] load average ${before} ...`);
  const result = await fn();
  const secondsTaken = (Date.now() - start) / 1000;
  const after = loadAverage();
  loads.push({ bench: name, before, after, seconds: secondsTaken });
  console.log(`[${name}] done in ${secondsTaken.toFixed(1)} s, load average ${after}`);
  rows.push(...result);
}

await run('time', async () =>
  (await benchTime()).map((r) => ({
    bench: 'time',
    backend: '-',
    metric: r.name,
    value: r.medianNs,
    unit: 'ns median',
    ...(r.note === undefined ? {} : { note: r.note }),
  })),
);
await run('delivery', () => benchDelivery(backends, QUICK ? [1_000, 5_000] : [10_000, 100_000]));
await run('drip', () => benchDrip(backends, QUICK ? 1_000 : 10_000));
await run('batches', () =>
  QUICK ? benchBatches(backends, 5_000) : benchBatches(backends, 1_000_000, { postgres: 200_000 }),
);
await run('idle', async () => {
  const result = await benchIdle(backends, QUICK ? [1_000, 20_000] : [10_000, 1_000_000]);
  plans = result.plans;
  return result.rows;
});

console.log(`\ntickwork benchmarks — ${started.toISOString()} — ${machine}${QUICK ? ' — QUICK' : ''}`);
console.log(
  `load average (1/5/15 min) per benchmark: ${loads.map((l) => `${l.bench} ${l.before} → ${l.after}`).join('; ')}\n`,
);
console.log(formatTable(rows));
if (plans.length > 0) {
  console.log('\nQuery plans of the statements an idle tick runs (largest database):');
  for (const plan of plans) {
    console.log(
      `\n[${plan.backend}] ${plan.verdict} — ${plan.label}\n  ${plan.sql}\n    ${plan.plan.join('\n    ')}`,
    );
  }
}
writeFileSync(
  new URL('./results.json', import.meta.url),
  JSON.stringify({ date: started.toISOString(), machine, quick: QUICK, loads, rows, plans }, null, 2),
);
