/**
 * Time-function benchmarks: calculateNextRun against cron-parser's own timezone-aware
 * iteration on the same expressions, zones and start instants, plus the local-time helpers.
 *
 *   node --import tsx bench/time.ts
 */
import { CronExpressionParser } from 'cron-parser';
import { pathToFileURL } from 'node:url';
import {
  calculateNextRun,
  calculateStepSendTime,
  getUtcTimeForLocal,
  toLocalDateTime,
} from '../src/time/index.js';

export interface BenchRow {
  name: string;
  medianNs: number;
  opsPerSec: number;
  note?: string;
}

const EXPRESSIONS = ['*/15 * * * *', '0 9 * * 1', '30 1 * * *', '0 0 29 2 *', '0 12 L * *', '0 9 * * 1-5'];
const ZONES = ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe'];

/** Start instants spread over 2025, including the DST transition days of the zones above. */
const STARTS: Date[] = (() => {
  const starts: Date[] = [];
  for (let i = 0; i < 64; i++)
    starts.push(new Date(Date.UTC(2025, 0, 1) + i * 5.7 * 86_400_000 + i * 1_234_567));
  for (const iso of [
    '2025-03-09T06:40:00Z',
    '2025-11-02T05:50:00Z',
    '2025-03-30T00:50:00Z',
    '2025-10-04T15:10:00Z',
  ]) {
    starts.push(new Date(iso));
  }
  return starts;
})();

/** TICKWORK_BENCH_QUICK=1: a shorter warm-up and fewer samples (a smoke run). */
const QUICK = process.env.TICKWORK_BENCH_QUICK === '1';
const WARM_UP_NS = QUICK ? 30_000_000n : 150_000_000n;

/**
 * Median nanoseconds per call over `samples` timed batches, after a warm-up. The batch size
 * is chosen so one batch takes about 2 ms. `fn(i)` gets a running index so successive calls
 * can use different inputs.
 */
function measure(fn: (i: number) => unknown, samples = QUICK ? 9 : 31): number {
  let sink = 0;
  let index = 0;
  const warmStart = process.hrtime.bigint();
  let warmCalls = 0;
  while (warmCalls < 5 || process.hrtime.bigint() - warmStart < WARM_UP_NS) {
    if (fn(index++)) sink++;
    warmCalls++;
  }
  const estimate = Number(process.hrtime.bigint() - warmStart) / warmCalls;
  const batch = Math.max(1, Math.min(20_000, Math.round(2_000_000 / estimate)));
  const perCall: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) if (fn(index++)) sink++;
    perCall.push(Number(process.hrtime.bigint() - start) / batch);
  }
  if (sink < 0) console.log(sink); // keeps the calls observable
  perCall.sort((a, b) => a - b);
  return perCall[Math.floor(perCall.length / 2)] ?? Number.NaN;
}

function row(name: string, medianNs: number, note?: string): BenchRow {
  const result: BenchRow = { name, medianNs: Math.round(medianNs), opsPerSec: Math.round(1e9 / medianNs) };
  if (note !== undefined) result.note = note;
  return result;
}

export async function benchTime(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const cases = ZONES.flatMap((zone) => STARTS.map((after) => ({ zone, after })));
  const pick = (i: number) => cases[i % cases.length] ?? { zone: 'UTC', after: new Date(0) };

  for (const expr of EXPRESSIONS) {
    // Speed only means something next to agreement: count the starts where both give the
    // same run (they differ by design on some DST days, see the time docs).
    let same = 0;
    for (const { zone, after } of cases) {
      const ours = calculateNextRun(expr, zone, after).getTime();
      const theirs = CronExpressionParser.parse(expr, { tz: zone, currentDate: after }).next().getTime();
      if (ours === theirs) same++;
    }
    const ours = measure((i) => {
      const { zone, after } = pick(i);
      return calculateNextRun(expr, zone, after);
    });
    const theirs = measure((i) => {
      const { zone, after } = pick(i);
      return CronExpressionParser.parse(expr, { tz: zone, currentDate: after }).next();
    });
    const parsed = new Map(ZONES.map((zone) => [zone, CronExpressionParser.parse(expr, { tz: zone })]));
    const theirsPreParsed = measure((i) => {
      const { zone, after } = pick(i);
      const iterator = parsed.get(zone);
      iterator?.reset(after);
      return iterator?.next();
    });
    rows.push(
      row(
        `calculateNextRun '${expr}'`,
        ours,
        `${(theirs / ours).toFixed(0)}x faster than cron-parser parse+next; same run on ${same}/${cases.length} starts`,
      ),
    );
    rows.push(row(`cron-parser parse+next '${expr}'`, theirs));
    rows.push(
      row(
        `cron-parser next, pre-parsed '${expr}'`,
        theirsPreParsed,
        `${(theirsPreParsed / ours).toFixed(0)}x ours`,
      ),
    );
  }

  const locals: { local: string; zone: string }[] = [];
  for (const zone of [...ZONES, 'Asia/Kathmandu', 'UTC']) {
    for (let i = 0; i < 50; i++) {
      const d = new Date(Date.UTC(2025, 0, 1) + i * 7.3 * 86_400_000 + i * 3_600_000);
      locals.push({ local: d.toISOString().slice(0, 16), zone });
    }
  }
  rows.push(
    row(
      'getUtcTimeForLocal',
      measure((i) => {
        const { local, zone } = locals[i % locals.length] ?? { local: '2025-01-01T00:00', zone: 'UTC' };
        return getUtcTimeForLocal(local, zone);
      }),
    ),
  );
  rows.push(
    row(
      'toLocalDateTime',
      measure((i) => {
        const { zone, after } = pick(i);
        return toLocalDateTime(after, zone);
      }),
    ),
  );
  rows.push(
    row(
      'calculateStepSendTime (2 days, 3 h, sendTime)',
      measure((i) => {
        const { zone, after } = pick(i);
        return calculateStepSendTime({
          base: after,
          timezone: zone,
          delayDays: 2,
          delayHours: 3,
          sendTime: '09:30',
        });
      }),
    ),
  );
  return rows;
}

function printTable(rows: BenchRow[]): void {
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'benchmark'.padEnd(width)}  ${'median ns'.padStart(10)}  ${'ops/s'.padStart(11)}  note`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(width)}  ${String(r.medianNs).padStart(10)}  ${r.opsPerSec.toLocaleString('en-US').padStart(11)}  ${r.note ?? ''}`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchTime());
}
