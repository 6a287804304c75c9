/*
 * `npm run bench`: every benchmark in one run (so ratios compare figures taken under the
 * same machine load), printed as a table and written to bench/results.json.
 *
 *   npm run bench                 # all
 *   npm run bench -- time delivery
 *   TICKWORK_BENCH_QUICK=1 npm run bench   # smaller sizes, for a smoke run
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchDelivery } from './delivery.js';
import { formatTable, type BenchRow } from './support.js';
import { benchTime } from './time.js';

const quick = process.env.TICKWORK_BENCH_QUICK === '1';
const selected = new Set(process.argv.slice(2));
const wants = (name: string) => selected.size === 0 || selected.has(name);

const rows: BenchRow[] = [];
if (wants('time')) {
  for (const r of await benchTime()) {
    rows.push({
      bench: 'time',
      backend: '-',
      metric: r.name,
      value: r.medianNs,
      unit: 'ns median',
      note: r.note,
    });
  }
}
if (wants('delivery')) {
  rows.push(...(await benchDelivery(['sqlite', 'postgres'], quick ? [2_000, 10_000] : [10_000, 100_000])));
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
console.log(`tickwork benchmarks — ${new Date().toISOString()} — ${machine}\n`);
console.log(formatTable(rows));
writeFileSync(
  new URL('./results.json', import.meta.url),
  JSON.stringify({ date: new Date().toISOString(), machine, rows }, null, 2),
);
