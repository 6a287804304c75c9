import { describe, expect, it } from 'vitest';
import { createScheduler, type Scheduler, type SequenceEnrollment } from '../../src/index.js';
import { CapturingTransport } from '../../src/testing/index.js';
import { calculateStepSendTime } from '../../src/time/index.js';
import { backends } from '../support/backends.js';
import { setup, type Harness } from '../support/harness.js';
import { readCalls, runWorkersTogether } from '../support/processes.js';
import { at, DAY, HOUR, plus, step, T0 } from './helpers.js';

const FIVE_STEPS = [
  step('s1', 0, 0, '09:00'),
  step('s2', 1, 0, '09:00'),
  step('s3', 2, 0),
  step('s4', 0, 12),
  step('s5', 3, 0, '08:30'),
];

async function allEnrollments(scheduler: Scheduler, sequenceId: number): Promise<SequenceEnrollment[]> {
  return (await scheduler.sequences.listEnrollments(sequenceId, { limit: 500 })).items;
}

/**
 * Follows the sequence with the fake clock: a tick at every UTC midnight, and at every
 * enrollment's next send time (and 1 ms before it, when nothing may go out yet).
 */
async function follow(scheduler: Scheduler, sequenceId: number, from: Date, until: Date, sent: () => number) {
  let now = from;
  for (;;) {
    const due = (await allEnrollments(scheduler, sequenceId))
      .map((e) => e.nextSendAt?.getTime())
      .filter((t): t is number => t !== undefined && t > now.getTime());
    const nextMidnight = (Math.floor(now.getTime() / DAY) + 1) * DAY;
    const target = Math.min(nextMidnight, ...due);
    if (target > until.getTime()) return;
    if (due.includes(target)) {
      const before = sent();
      await scheduler.tick(new Date(target - 1));
      expect(sent()).toBe(before);
    }
    let summary;
    do summary = await scheduler.tick(new Date(target));
    while (summary.moreDue);
    now = new Date(target);
  }
}

/**
 * Two schedulers on one database, as two app instances would have. On SQLite, two
 * connections in one process would block each other's synchronous busy wait, so the two share
 * one store (what the README asks of one process); separate processes are tested below.
 */
async function twoSchedulers(harness: Harness, backendName: string) {
  if (backendName !== 'sqlite') {
    const other = await harness.another({ delivery: { concurrency: 4 } });
    return [{ scheduler: harness.scheduler, transport: harness.transport }, other];
  }
  const store = harness.database.openStore();
  return [0, 1].map(() => {
    const transport = new CapturingTransport();
    const scheduler = createScheduler({
      store,
      transport,
      options: { clock: harness.clock.now, random: () => 0.5, delivery: { concurrency: 4 } },
    });
    return { scheduler, transport };
  });
}

describe.each(backends)('sequences at scale and across DST on $name', (backend) => {
  it('follows a 5-step sequence day by day in several zones across DST changes, matching calculateStepSendTime', async () => {
    const { scheduler, transport, clock } = await setup(backend);
    const seq = await scheduler.sequences.create({ name: 'DST', steps: FIVE_STEPS });
    const cohorts = [
      { enrolledAt: T0, zones: ['America/New_York', 'Asia/Kolkata'] },
      // Berlin springs forward on 03-29, Sydney falls back on 04-05.
      { enrolledAt: at('2026-03-28T20:00:00Z'), zones: ['Europe/Berlin', 'Australia/Sydney', 'UTC'] },
    ];
    for (const cohort of cohorts) {
      clock.set(cohort.enrolledAt);
      for (const zone of cohort.zones) {
        await scheduler.sequences.enrollRecipient(seq.id, `${zone.replace('/', '-').toLowerCase()}@x.org`, {
          timezone: zone,
        });
      }
      await follow(
        scheduler,
        seq.id,
        cohort.enrolledAt,
        plus(cohort.enrolledAt, 12 * DAY),
        () => transport.sent.length,
      );
    }

    const enrollments = await allEnrollments(scheduler, seq.id);
    expect(enrollments).toHaveLength(5);
    const actual = new Map<string, string[]>();
    for (const e of enrollments) {
      expect(e.status).toBe('completed');
      const sends: Date[] = [];
      for (const s of seq.steps) {
        const delivery = await scheduler.deliveries.get(`sequence:${e.id}:step:${s.id}`);
        sends.push(delivery!.sentAt!);
      }
      // Each step goes exactly when calculateStepSendTime says, counted from the previous actual send.
      let base = e.enrolledAt;
      seq.steps.forEach((s, i) => {
        const expected = calculateStepSendTime({ base, timezone: e.timezone, ...s });
        expect(sends[i]!.toISOString(), `${e.recipientEmail} step ${i + 1}`).toBe(expected.toISOString());
        base = sends[i]!;
      });
      actual.set(
        e.timezone,
        sends.map((d) => d.toISOString()),
      );
    }
    expect(transport.sent).toHaveLength(25);
    // Concretely: 09:00 is 14:00Z in winter New York; the last step, after the 03-08 change, is 08:30 EDT.
    expect(actual.get('America/New_York')).toEqual([
      '2026-03-02T14:00:00.000Z',
      '2026-03-03T14:00:00.000Z',
      '2026-03-05T14:00:00.000Z',
      '2026-03-06T02:00:00.000Z',
      '2026-03-09T12:30:00.000Z',
    ]);
    // Berlin: the first 09:00 is already summer time (07:00Z).
    expect(actual.get('Europe/Berlin')![0]).toBe('2026-03-29T07:00:00.000Z');
    // Sydney: 08:30 on 04-05 is after the fall-back (AEST, +10).
    expect(actual.get('Australia/Sydney')![4]).toBe('2026-04-04T22:30:00.000Z');
  });

  it('two schedulers ticking at once send every step exactly once', async () => {
    const harness = await setup(backend, { delivery: { concurrency: 4 } });
    const [a, b] = await twoSchedulers(harness, backend.name);
    const { scheduler } = harness;
    const seq = await scheduler.sequences.create({
      name: 'Both',
      steps: [step('one'), step('two', 0, 1), step('three', 0, 1)],
    });
    const result = await scheduler.sequences.enrollRecipients(
      seq.id,
      Array.from({ length: 60 }, (_, i) => ({ email: `c${i}@x.org` })),
    );
    expect(result.enrolled).toBe(60);
    for (let t = T0.getTime(); t <= plus(T0, 3 * HOUR).getTime(); t += 15 * 60_000) {
      const runs = [a!.scheduler, b!.scheduler].map(async (s) => {
        let summary;
        do summary = await s.tick(new Date(t));
        while (summary.moreDue);
      });
      await Promise.all(runs);
    }
    const keys = [...a!.transport.sentKeys, ...b!.transport.sentKeys];
    expect(keys).toHaveLength(180);
    expect(new Set(keys).size).toBe(180);
    const enrollments = await allEnrollments(scheduler, seq.id);
    expect(enrollments.every((e) => e.status === 'completed' && e.currentStep === 3)).toBe(true);
    for (const e of enrollments) {
      for (const s of seq.steps) expect(keys).toContain(`sequence:${e.id}:step:${s.id}`);
    }
  });

  it('concurrent phases claim disjoint enrollments: each step is queued once', async () => {
    const harness = await setup(backend);
    const [a, b] = await twoSchedulers(harness, backend.name);
    const { scheduler } = harness;
    const seq = await scheduler.sequences.create({ name: 'Claims', steps: [step('one')] });
    await scheduler.sequences.enrollRecipients(
      seq.id,
      Array.from({ length: 600 }, (_, i) => ({ email: `q${i}@x.org` })),
    );
    const [first, second] = await Promise.all([
      a!.scheduler.sequences.processSequenceSteps(T0),
      b!.scheduler.sequences.processSequenceSteps(T0),
    ]);
    expect(Number(first!.queued) + Number(second!.queued)).toBe(600);
    expect(await scheduler.deliveries.counts({ sourceType: 'sequence' })).toMatchObject({ pending: 600 });
  });
});

// Separate OS processes on one SQLite file (a server database's concurrency is covered in-process
// above with separate connection pools; PGlite cannot be shared across processes).
describe.each(backends.filter((b) => b.name === 'sqlite'))(
  'sequences ticked by OS processes on $name',
  (backend) => {
    it('three processes ticking at once send every step of every enrollment exactly once', async () => {
      const { scheduler, database } = await setup(backend);
      // Steps without delays: each tick takes every enrollment one step further. The workers' tick
      // instants stay within the delivery lease, as real clocks of several hosts would.
      const seq = await scheduler.sequences.create({
        name: 'Procs',
        steps: [step('one'), step('two'), step('three')],
      });
      await scheduler.sequences.enrollRecipients(
        seq.id,
        Array.from({ length: 90 }, (_, i) => ({ email: `p${i}@x.org` })),
      );
      const ticks = [0, 1, 2, 3].map((m) => plus(T0, m * 60_000).toISOString());
      const runs = await runWorkersTogether(3, {
        location: database.location,
        migrate: false,
        ticks,
        concurrency: 4,
        sendDelayMs: 1,
      });
      for (const run of runs) expect(run.stderr, run.stderr).toBe('');
      const keys = runs.flatMap(readCalls).map((c) => c.key);
      expect({ calls: keys.length, distinct: new Set(keys).size }).toEqual({ calls: 270, distinct: 270 });
      expect(new Set(runs.flatMap(readCalls).map((c) => c.pid)).size).toBeGreaterThan(1);
      const view = await scheduler.sequences.get(seq.id);
      expect(view.enrollmentCounts).toMatchObject({ completed: 90, total: 90 });
    });
  },
);
