import { expect, it } from 'vitest';
import type { MissedRunPolicy, Scheduler } from '../../src/index.js';
import type { CapturingTransport } from '../../src/testing/index.js';
import type { Backend } from '../support/backends.js';
import {
  at,
  campaignInput,
  capture,
  DAY,
  HOUR,
  iso,
  MINUTE,
  plus,
  runsOf,
  tickAll,
  setupRecurring,
} from './helpers.js';

const hourly = (policy?: MissedRunPolicy) =>
  campaignInput({ scheduleCron: '0 * * * *', ...(policy ? { missedRunPolicy: policy } : {}) });

export function missedRunCases(backend: Backend): void {
  it("hours of downtime under 'latest' (the default): the newest missed occurrence runs once, as a catch-up", async () => {
    const { scheduler, transport } = await setupRecurring(backend);
    const seen = capture(scheduler.events);
    const campaign = await scheduler.recurring.create(hourly());
    expect(campaign.missedRunPolicy).toBe('latest');
    // Down from 08:00 to 13:30: 09:00..13:00 were missed.
    const summary = await scheduler.tick(at('2026-03-02T13:30:00Z'));
    expect(summary.phases.recurring).toMatchObject({ occurrences: 1, skipped: 4, completed: 1 });
    const runs = await runsOf(scheduler, campaign.id);
    expect(runs.map((r) => [r.scheduledAt.toISOString().slice(11, 16), r.kind, r.status])).toEqual([
      ['09:00', 'catch-up', 'skipped'],
      ['10:00', 'catch-up', 'skipped'],
      ['11:00', 'catch-up', 'skipped'],
      ['12:00', 'catch-up', 'skipped'],
      ['13:00', 'catch-up', 'completed'],
    ]);
    expect(runs[0]!.error).toBe(
      "missed; superseded by the occurrence at 2026-03-02T13:00:00.000Z (missedRunPolicy 'latest')",
    );
    expect(transport.sent.map((s) => s.message.origin)).toEqual(
      Array(2).fill(
        expect.objectContaining({
          scheduledAt: '2026-03-02T13:00:00.000Z',
          firedAt: '2026-03-02T13:30:00.000Z',
          latenessMs: 30 * MINUTE,
          catchUp: true,
          manual: false,
        }),
      ),
    );
    expect(seen['recurring:skipped']?.map((e) => e.scheduledAt.toISOString().slice(11, 16))).toEqual([
      '09:00',
      '10:00',
      '11:00',
      '12:00',
    ]);
    const after = await scheduler.recurring.get(campaign.id);
    expect(after).toMatchObject({ runCount: 1 });
    expect(after.nextRunAt?.toISOString()).toBe('2026-03-02T14:00:00.000Z');
    // Back on schedule: a tick a few seconds late is on time, not a catch-up.
    await tickAll(scheduler, at('2026-03-02T14:00:20Z'));
    expect(transport.sent.at(-1)!.message.origin).toMatchObject({ latenessMs: 20_000, catchUp: false });
  });

  it("hours of downtime under 'skip': nothing missed runs, the schedule continues from now", async () => {
    const { scheduler, transport } = await setupRecurring(backend, {
      recurring: { defaultMissedRunPolicy: 'skip' },
    });
    const campaign = await scheduler.recurring.create(hourly());
    expect(campaign.missedRunPolicy).toBe('skip');
    await tickAll(scheduler, at('2026-03-02T13:30:00Z'));
    const runs = await runsOf(scheduler, campaign.id);
    expect(runs.map((r) => r.status)).toEqual(Array(5).fill('skipped'));
    expect(runs.at(-1)!.error).toBe("missed by 1800000 ms (missedRunPolicy 'skip')");
    expect(transport.calls).toHaveLength(0);
    // An occurrence picked up within missedAfterMs (5 min) is on time and runs.
    await tickAll(scheduler, at('2026-03-02T14:04:59Z'));
    expect(transport.sentKeys.sort()).toEqual([
      `recurring:${campaign.id}:2026-03-02T14:00:00.000Z:a@x.org`,
      `recurring:${campaign.id}:2026-03-02T14:00:00.000Z:b@x.org`,
    ]);
    // Picked up 5 min and 1 ms late, it is missed and skipped.
    await tickAll(scheduler, at('2026-03-02T15:05:00.001Z'));
    expect((await runsOf(scheduler, campaign.id)).at(-1)).toMatchObject({
      kind: 'catch-up',
      status: 'skipped',
    });
    expect(transport.sent).toHaveLength(2);
  });

  it("hours of downtime under 'all': each missed occurrence runs once, with its own keys", async () => {
    const { scheduler, transport } = await setupRecurring(backend);
    const campaign = await scheduler.recurring.create(hourly('all'));
    await tickAll(scheduler, at('2026-03-02T13:30:00Z'));
    const runs = await runsOf(scheduler, campaign.id);
    expect(runs.map((r) => [r.scheduledAt.toISOString().slice(11, 16), r.kind, r.status])).toEqual(
      ['09:00', '10:00', '11:00', '12:00', '13:00'].map((t) => [t, 'catch-up', 'completed']),
    );
    expect(transport.sent).toHaveLength(10);
    expect(new Set(transport.sentKeys).size).toBe(10);
    expect(
      transport.sent.every((s) => s.message.origin.type === 'recurring' && s.message.origin.catchUp),
    ).toBe(true);
    expect((await scheduler.recurring.get(campaign.id)).runCount).toBe(5);
    await tickAll(scheduler, at('2026-03-02T13:45:00Z'));
    expect(transport.sent).toHaveLength(10);
  });

  it('days of downtime: the catch-up limit caps a flood, maxLatenessMs skips stale occurrences', async () => {
    const { scheduler, transport } = await setupRecurring(backend, { recurring: { catchUpLimit: 2 } });
    const capped = await scheduler.recurring.create(
      campaignInput({ name: 'capped', missedRunPolicy: 'all' }),
    );
    const fresh = await scheduler.recurring.create(
      campaignInput({ name: 'fresh', missedRunPolicy: 'all', maxLatenessMs: DAY }),
    );
    const latest = await scheduler.recurring.create(
      campaignInput({ name: 'latest', maxLatenessMs: 2 * HOUR }),
    );
    const plain = await scheduler.recurring.create(campaignInput({ name: 'plain latest' }));
    const skip = await scheduler.recurring.create(campaignInput({ name: 'skip', missedRunPolicy: 'skip' }));
    // Down from Monday 08:00 to Thursday 12:00: the 09:00 runs of Mon..Thu were missed.
    await tickAll(scheduler, at('2026-03-05T12:00:00Z'));
    const summarise = async (id: number) =>
      (await runsOf(scheduler, id)).map((r) => [r.scheduledAt.toISOString().slice(5, 10), r.status, r.error]);

    expect(await summarise(capped.id)).toEqual([
      ['03-02', 'skipped', 'more than catchUpLimit (2) occurrences were due at once; the newest ran'],
      ['03-03', 'skipped', 'more than catchUpLimit (2) occurrences were due at once; the newest ran'],
      ['03-04', 'completed', null],
      ['03-05', 'completed', null],
    ]);
    const stale = (hours: number) =>
      `stale: picked up ${hours * HOUR} ms after its instant, more than maxLatenessMs (${DAY})`;
    expect(await summarise(fresh.id)).toEqual([
      ['03-02', 'skipped', stale(75)],
      ['03-03', 'skipped', stale(51)],
      ['03-04', 'skipped', stale(27)],
      ['03-05', 'completed', null],
    ]);
    // Under 'latest' the newest missed occurrence is itself 3 h late, over the 2 h limit: nothing runs.
    expect((await summarise(latest.id)).map(([day, status]) => [day, status])).toEqual([
      ['03-02', 'skipped'],
      ['03-03', 'skipped'],
      ['03-04', 'skipped'],
      ['03-05', 'skipped'],
    ]);
    expect((await summarise(plain.id)).map(([day, status]) => [day, status])).toEqual([
      ['03-02', 'skipped'],
      ['03-03', 'skipped'],
      ['03-04', 'skipped'],
      ['03-05', 'completed'],
    ]);
    expect((await summarise(skip.id)).map(([, status]) => status)).toEqual(Array(4).fill('skipped'));
    expect(transport.sent).toHaveLength(2 * 2 + 2 + 2);
    for (const id of [capped.id, fresh.id, latest.id, plain.id, skip.id]) {
      expect((await scheduler.recurring.get(id)).nextRunAt?.toISOString()).toBe('2026-03-06T09:00:00.000Z');
    }
  });

  it('a month of downtime of an every-minute campaign records a bounded number of rows, and says so', async () => {
    const { scheduler, transport } = await setupRecurring(backend);
    const campaign = await scheduler.recurring.create(campaignInput({ scheduleCron: '* * * * *' }));
    const started = Date.now();
    await tickAll(scheduler, at('2026-04-02T08:00:30Z'));
    expect(Date.now() - started).toBeLessThan(10_000);
    const page = await scheduler.recurring.listRuns(campaign.id, { limit: 500 });
    expect(page.total).toBe(10 + 100);
    const runs = [...page.items].reverse();
    // Occurrences within missedAfterMs (5 min) of the tick are on time, not missed: they all run.
    expect(
      runs.filter((r) => r.status === 'completed').map((r) => r.scheduledAt.toISOString().slice(11, 16)),
    ).toEqual(['07:56', '07:57', '07:58', '07:59', '08:00']);
    expect(runs.filter((r) => r.status === 'skipped')).toHaveLength(105);
    expect(runs[0]!.error).toMatch(
      /earlier occurrences back to 2026-03-02T08:01:00.000Z were skipped without a record$/,
    );
    expect(transport.sent).toHaveLength(5 * 2);
    expect((await scheduler.recurring.get(campaign.id)).nextRunAt?.toISOString()).toBe(
      '2026-04-02T08:01:00.000Z',
    );
  });
}

/*
 * Expected instants are written out by hand from each zone's rules and checked against
 * Intl.DateTimeFormat (an implementation independent of tickwork's):
 * - Australia/Lord_Howe: +11 (DST) -> +10:30 on Sun 2026-04-05 at 02:00 (01:30-02:00 repeats);
 *   +10:30 -> +11 on Sun 2026-10-04 at 02:00 (02:00-02:30 does not exist). A 30-minute shift.
 * - Pacific/Chatham: +13:45 -> +12:45 on Sun 2026-04-05 at 03:45 (02:45-03:45 repeats).
 * - America/Santiago: -04 -> -03 on Sun 2026-09-06 at 00:00 (00:00-01:00 does not exist).
 */

/** Follows a campaign occurrence by occurrence: nothing just before each, exactly one run at it. */
async function follow(
  scheduler: Scheduler,
  transport: CapturingTransport,
  campaignId: number,
  expected: string[],
) {
  for (const instant of expected) {
    const before = transport.sent.length;
    const campaign = await scheduler.recurring.get(campaignId);
    expect(campaign.nextRunAt?.toISOString()).toBe(instant);
    await tickAll(scheduler, plus(at(instant), -1));
    expect(transport.sent.length).toBe(before);
    await tickAll(scheduler, at(instant));
    expect(transport.sent.slice(before).map((s) => s.message.origin)).toEqual([
      expect.objectContaining({ scheduledAt: instant, firedAt: instant, latenessMs: 0, catchUp: false }),
    ]);
  }
  expect(iso((await runsOf(scheduler, campaignId)).map((r) => r.scheduledAt))).toEqual(expected);
}

export function dstCases(backend: Backend): void {
  it('daily 01:30 in Australia/Lord_Howe fires once on the day 01:30 happens twice (the first pass)', async () => {
    const { scheduler, transport, clock } = await setupRecurring(backend);
    clock.set('2026-04-02T00:00:00Z');
    const campaign = await scheduler.recurring.create(
      campaignInput({
        scheduleCron: '30 1 * * *',
        timezone: 'Australia/Lord_Howe',
        recipientData: ['a@x.org'],
      }),
    );
    await follow(scheduler, transport, campaign.id, [
      '2026-04-02T14:30:00.000Z', // Fri 03 01:30 +11
      '2026-04-03T14:30:00.000Z', // Sat 04 01:30 +11
      '2026-04-04T14:30:00.000Z', // Sun 05 01:30 +11, the first pass
      '2026-04-05T15:00:00.000Z', // Mon 06 01:30 +10:30
      '2026-04-06T15:00:00.000Z',
    ]);
    // Hourly ticks across the transition day, including the second 01:30 (15:00Z on the 4th): no extra run.
    for (let h = 0; h <= 24; h++) await tickAll(scheduler, plus(at('2026-04-04T12:00:00Z'), h * HOUR));
    expect(transport.sent).toHaveLength(5);
  });

  it('daily 02:15 in Australia/Lord_Howe moves through the spring-forward gap by its length', async () => {
    const { scheduler, transport, clock } = await setupRecurring(backend);
    clock.set('2026-10-02T00:00:00Z');
    const campaign = await scheduler.recurring.create(
      campaignInput({
        scheduleCron: '15 2 * * *',
        timezone: 'Australia/Lord_Howe',
        recipientData: ['a@x.org'],
      }),
    );
    await follow(scheduler, transport, campaign.id, [
      '2026-10-02T15:45:00.000Z', // Sat 03 02:15 +10:30
      '2026-10-03T15:45:00.000Z', // Sun 04 02:15 does not exist: 02:45 +11
      '2026-10-04T15:15:00.000Z', // Mon 05 02:15 +11
    ]);
  });

  it('weekly Sunday 03:00 in Pacific/Chatham fires once in the week 03:00 happens twice', async () => {
    const { scheduler, transport, clock } = await setupRecurring(backend);
    clock.set('2026-03-25T00:00:00Z');
    const campaign = await scheduler.recurring.create(
      campaignInput({ scheduleCron: '0 3 * * 0', timezone: 'Pacific/Chatham', recipientData: ['a@x.org'] }),
    );
    await follow(scheduler, transport, campaign.id, [
      '2026-03-28T13:15:00.000Z', // Sun 29 Mar 03:00 +13:45
      '2026-04-04T13:15:00.000Z', // Sun 05 Apr 03:00 +13:45, the first pass
      '2026-04-11T14:15:00.000Z', // Sun 12 Apr 03:00 +12:45
    ]);
    await tickAll(scheduler, at('2026-04-04T14:15:00Z')); // the second 03:00
    expect(transport.sent).toHaveLength(3);
  });

  it('weekly Sunday 00:30 in America/Santiago is moved to 01:30 on the Sunday midnight is skipped', async () => {
    const { scheduler, transport, clock } = await setupRecurring(backend);
    clock.set('2026-08-28T00:00:00Z');
    const campaign = await scheduler.recurring.create(
      campaignInput({ scheduleCron: '30 0 * * 0', timezone: 'America/Santiago', recipientData: ['a@x.org'] }),
    );
    await follow(scheduler, transport, campaign.id, [
      '2026-08-30T04:30:00.000Z', // Sun 30 Aug 00:30 -04
      '2026-09-06T04:30:00.000Z', // Sun 06 Sep 00:30 does not exist: 01:30 -03
      '2026-09-13T03:30:00.000Z', // Sun 13 Sep 00:30 -03
    ]);
  });

  it("catching up days of downtime across a DST change runs each missed day's own instant", async () => {
    const { scheduler, transport, clock } = await setupRecurring(backend);
    clock.set('2026-04-02T00:00:00Z');
    const campaign = await scheduler.recurring.create(
      campaignInput({
        scheduleCron: '30 1 * * *',
        timezone: 'Australia/Lord_Howe',
        missedRunPolicy: 'all',
        recipientData: ['a@x.org'],
      }),
    );
    await tickAll(scheduler, at('2026-04-06T00:00:00Z'));
    const origins = transport.sent.map((s) => s.message.origin as { scheduledAt: string });
    expect(origins.sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt))).toEqual(
      [
        '2026-04-02T14:30:00.000Z',
        '2026-04-03T14:30:00.000Z',
        '2026-04-04T14:30:00.000Z',
        '2026-04-05T15:00:00.000Z',
      ].map((scheduledAt) => expect.objectContaining({ scheduledAt, catchUp: true })),
    );
    expect((await scheduler.recurring.get(campaign.id)).nextRunAt?.toISOString()).toBe(
      '2026-04-06T15:00:00.000Z',
    );
  });
}
