/*
 * Drip throughput: due enrollments → first step sent and enrollment advanced, per second,
 * through `tick` with a no-op transport, against the raw claim+done limit on the same
 * database, interleaved (see delivery.ts): a drip tick of `slice` enrollments, then raw SQL
 * on `slice` outbox rows (due later than the drip's `now`, so the tick never sees them),
 * alternating, until each has done N.
 *
 * The enrollments are made through the public API in a two-step sequence whose second step
 * is days away, so a drip tick queues step 1, sends it, and the delivery hook advances the
 * enrollment to current_step = 1 and parks it for step 2 (checked at the end).
 */
import { createScheduler, type Scheduler } from '../src/index.js';
import {
  CLAIM_BATCH,
  cpuNote,
  fillOutbox,
  interleave,
  rawClaimDone,
  sliceFor,
  spread,
  verdict,
} from './delivery.js';
import {
  benchDatabase,
  noopTransport,
  seconds,
  StatementCounter,
  type BenchBackend,
  type BenchDatabase,
  type BenchRow,
} from './support.js';

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'Europe/London',
  'America/New_York',
  'America/Los_Angeles',
  'Asia/Tokyo',
  'Asia/Kolkata',
  'Australia/Sydney',
];
const ENROLL_CHUNK = 5_000;

const options = (slice: number) => ({
  delivery: { concurrency: CLAIM_BATCH, maxPerTick: 1_000_000 },
  sequences: { maxEnrollmentsPerTick: slice, maxBulkEnrollment: ENROLL_CHUNK },
});

interface DripSet {
  name: string;
  enrolledAt: Date;
}

const TIMED: DripSet = { name: 'a', enrolledAt: new Date('2026-01-01T00:00:00Z') };
const COUNTED: DripSet = { name: 'c', enrolledAt: new Date('2026-01-01T12:00:00Z') };
/** The raw rows fall due after the drip's `now` and before the raw side's. */
const RAW_DUE = new Date('2026-01-01T01:00:00Z');
const RAW_NOW = new Date('2026-01-01T02:00:00Z');

const dripNow = (set: DripSet) => new Date(set.enrolledAt.getTime() + 60_000);

/** Enrolls `size` recipients at `set.enrolledAt` through the public API (untimed set-up). */
async function enroll(
  scheduler: Scheduler,
  clock: { now: Date },
  sequenceId: number,
  set: DripSet,
  size: number,
): Promise<void> {
  clock.now = set.enrolledAt;
  for (let start = 0; start < size; start += ENROLL_CHUNK) {
    const recipients = [];
    for (let i = start; i < Math.min(size, start + ENROLL_CHUNK); i++) {
      recipients.push({
        email: `${set.name}${i}@example.org`,
        name: `Recipient ${i}`,
        timezone: ZONES[i % ZONES.length],
      });
    }
    const result = await scheduler.sequences.enrollRecipients(sequenceId, recipients);
    if (result.enrolled !== recipients.length) throw new Error(`drip bench: enrolled ${result.enrolled}`);
  }
}

/** One drip tick at the set's instant; returns the enrollments whose step was sent. */
async function dripSlice(scheduler: Scheduler, set: DripSet): Promise<{ rows: number; seconds: number }> {
  const start = process.hrtime.bigint();
  const summary = await scheduler.tick(dripNow(set));
  return { rows: summary.delivery.sent, seconds: seconds(start) };
}

async function checkAdvanced(
  db: BenchDatabase,
  sequenceId: number,
  set: DripSet,
  size: number,
): Promise<void> {
  const [row] = await db.query<{ n: number | string }>(
    `select count(*) as n from sequence_enrollments where sequence_id = ${sequenceId}
       and recipient_email like '${set.name}%' and current_step = 1 and pending_step_id is null
       and status = 'active' and next_send_at is not null`,
  );
  if (Number(row?.n) !== size) throw new Error(`drip bench: ${String(row?.n)} of ${size} advanced to step 1`);
}

async function createSequence(scheduler: Scheduler): Promise<number> {
  const sequence = await scheduler.sequences.create({
    name: 'Bench drip',
    timezone: 'UTC',
    steps: [
      { subject: 'Welcome', templateId: 1 },
      { subject: 'Tips', templateId: 2, delayDays: 2, sendTime: '09:00' },
    ],
  });
  return sequence.id;
}

export async function benchDrip(backends: BenchBackend[], size = 10_000): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const slice = sliceFor(size);
  for (const backend of backends) {
    const db = await benchDatabase(backend);
    try {
      const clock = { now: TIMED.enrolledAt };
      const scheduler = createScheduler({
        store: db.store(),
        transport: noopTransport,
        options: { ...options(slice), clock: () => clock.now },
      });
      await scheduler.migrate();
      const sequenceId = await createSequence(scheduler);
      await enroll(scheduler, clock, sequenceId, TIMED, size);
      await fillOutbox(db, size, 'raw', RAW_DUE);

      const result = await interleave(
        size,
        slice,
        (limit) => rawClaimDone(db, limit, RAW_NOW),
        () => dripSlice(scheduler, TIMED),
        `drip ${backend}`,
      );
      await scheduler.close();
      await checkAdvanced(db, sequenceId, TIMED, size);

      // Statements per enrollment: another set on a logged connection, untimed.
      const counter = new StatementCounter();
      const counted = Math.min(size, 2_000);
      const logged = createScheduler({
        store: db.loggedStore(counter.onQuery),
        transport: noopTransport,
        options: { ...options(counted), clock: () => clock.now },
      });
      await enroll(logged, clock, sequenceId, COUNTED, counted);
      counter.reset();
      while ((await logged.tick(dripNow(COUNTED))).moreDue);
      await logged.close();
      await checkAdvanced(db, sequenceId, COUNTED, counted);

      const note = `${result.turns} turns of ${slice}`;
      rows.push({
        bench: 'raw claim+done',
        backend,
        metric: `${size} rows (drip run)`,
        value: result.rawRate,
        unit: 'rows/s',
        note,
      });
      rows.push({
        bench: 'drip tick',
        backend,
        metric: `${size} enrollments`,
        value: result.tickRate,
        unit: 'enrollments/s',
        note,
      });
      rows.push({
        bench: 'drip tick',
        backend,
        metric: `${size} enrollments: drip / raw`,
        value: result.ratio,
        unit: 'ratio',
        note: `${verdict(result.ratio >= 0.25)} target ≥ 0.25; ${spread(result.turnRatios)}; ${cpuNote(result)}`,
      });
      rows.push({
        bench: 'drip tick',
        backend,
        metric: 'statements per 1000 enrollments',
        value: (counter.total / counted) * 1000,
        unit: 'statements',
        note: counter.summary(7),
      });
    } finally {
      await db.destroy();
    }
  }
  return rows;
}
