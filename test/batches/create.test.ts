import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ValidationError,
  type CreateBatchesResult,
  type TickworkEvents,
} from '../../src/index.js';
import { backends } from '../support/backends.js';
import { setup } from '../support/harness.js';
import { intlInstant } from '../time/oracle.js';

// The harness clock reads 2026-03-02T08:00Z for every API call.
const iso = (d: Date) => d.toISOString();
const byInstant = (result: CreateBatchesResult) =>
  Object.fromEntries(result.batches.map((b) => [iso(b.scheduledFor), b]));

describe.each(backends)('timezone batches: creating on $name', (backend) => {
  it('groups recipients by send instant, with 30- and 45-minute offsets and zones that share an instant', async () => {
    const { scheduler } = await setup(backend);
    const created: TickworkEvents['batch:created'][] = [];
    scheduler.events.on('batch:created', (e) => created.push(e));
    const zones = {
      'kolkata@x.org': 'Asia/Kolkata',
      'calcutta@x.org': 'Asia/Calcutta',
      'kathmandu@x.org': 'Asia/Kathmandu',
      'adelaide@x.org': 'Australia/Adelaide',
      'eucla@x.org': 'Australia/Eucla',
      'stjohns@x.org': 'America/St_Johns',
      'tehran@x.org': 'Asia/Tehran',
      'chatham@x.org': 'Pacific/Chatham',
      'london@x.org': 'Europe/London',
      'utc@x.org': 'UTC',
      'abidjan@x.org': 'Africa/Abidjan',
    };
    const result = await scheduler.batches.createTimezoneBatches(
      41,
      Object.entries(zones).map(([email, timezone]) => ({ email, timezone, name: email.split('@')[0] })),
      { time: '09:00', date: '2026-03-10' },
      { message: { subject: 'Spring sale', templateId: 12, cc: ['cc@x.org'] } },
    );

    const batches = byInstant(result);
    expect(Object.keys(batches).sort()).toEqual([
      '2026-03-09T19:15:00.000Z', // Chatham +13:45
      '2026-03-09T22:30:00.000Z', // Adelaide +10:30 (daylight time)
      '2026-03-10T00:15:00.000Z', // Eucla +8:45
      '2026-03-10T03:15:00.000Z', // Kathmandu +5:45
      '2026-03-10T03:30:00.000Z', // Kolkata and its alias Calcutta, +5:30
      '2026-03-10T05:30:00.000Z', // Tehran +3:30
      '2026-03-10T09:00:00.000Z', // London, UTC, Abidjan
      '2026-03-10T11:30:00.000Z', // St John's -2:30 (daylight time since 8 March)
    ]);
    const kolkata = batches['2026-03-10T03:30:00.000Z']!;
    expect(kolkata.timezones.map((z) => z.timezone)).toEqual(['Asia/Calcutta', 'Asia/Kolkata']);
    expect(kolkata.recipientEmails).toEqual(['kolkata@x.org', 'calcutta@x.org']);
    const utc = batches['2026-03-10T09:00:00.000Z']!;
    expect(utc).toMatchObject({
      campaignId: 41,
      status: 'pending',
      recipientCount: 3,
      enqueuedCount: 0,
      target: { time: '09:00', date: '2026-03-10' },
      message: { subject: 'Spring sale', templateId: 12, cc: ['cc@x.org'], bcc: [] },
      counts: { recipients: 3, enqueued: 0, pending: 0, sent: 0, dead: 0, cancelled: 0, skipped: 0 },
    });
    expect(utc.timezones).toEqual([
      expect.objectContaining({
        timezone: 'Africa/Abidjan',
        recipientCount: 1,
        localDateTime: '2026-03-10T09:00:00',
      }),
      expect.objectContaining({ timezone: 'Europe/London', recipientCount: 1 }),
      expect.objectContaining({
        timezone: 'UTC',
        recipientCount: 1,
        fallbackCount: 0,
        pastTarget: null,
        dst: null,
      }),
    ]);
    expect(batches['2026-03-09T19:15:00.000Z']!.timezones).toEqual([
      {
        timezone: 'Pacific/Chatham',
        localDateTime: '2026-03-10T09:00:00',
        recipientCount: 1,
        fallbackCount: 0,
        pastTarget: null,
        dst: null,
      },
    ]);
    expect(result).toMatchObject({
      replayed: false,
      campaignId: 41,
      received: 11,
      duplicatesRemoved: 0,
      scheduledCount: 11,
      skippedCount: 0,
      fallback: { timezone: 'UTC', count: 0, recipients: [] },
      pastTarget: { policy: 'next-day', recipientCount: 0, timezones: [] },
    });
    expect(created.map((e) => e.batchId).sort()).toEqual(result.batches.map((b) => b.id).sort());
    expect(created.find((e) => e.batchId === kolkata.id)).toMatchObject({
      status: 'pending',
      recipientCount: 2,
      campaignId: 41,
    });

    // What the API returns later is what the create returned.
    const listed = await scheduler.batches.list({ campaignId: 41 });
    expect(listed.total).toBe(8);
    expect(listed.items.map((b) => b.id)).toEqual(
      [...result.batches].sort((a, b) => +a.scheduledFor - +b.scheduledFor).map((b) => b.id),
    );
    expect(await scheduler.batches.get(kolkata.id)).toEqual(kolkata);
  });

  it('removes duplicate emails case-insensitively, the first occurrence winning, across chunks', async () => {
    const { scheduler } = await setup(backend);
    const recipients: Array<{ email: string; timezone?: string; n: number }> = [];
    for (let i = 0; i < 2500; i++) recipients.push({ email: `r${i}@x.org`, timezone: 'Europe/Paris', n: i });
    recipients.push({ email: 'R7@X.org', timezone: 'Asia/Tokyo', n: -1 }); // same chunk's end: a later chunk
    recipients.splice(10, 0, { email: 'r3@x.org', timezone: 'Asia/Tokyo', n: -2 }); // same chunk
    const result = await scheduler.batches.createTimezoneBatches(1, recipients, {
      time: '10:00',
      date: '2026-03-09',
    });
    expect(result).toMatchObject({ received: 2502, duplicatesRemoved: 2, scheduledCount: 2500 });
    // Tokyo's only recipients were duplicates: no batch for them.
    expect(result.batches).toHaveLength(1);
    expect(result.batches[0]).toMatchObject({
      scheduledFor: new Date('2026-03-09T09:00:00Z'),
      recipientCount: 2500,
      recipientEmails: null, // more than 1000: listed through listRecipients
    });
    const page = await scheduler.batches.listRecipients(result.batches[0]!.id, { limit: 2, offset: 6 });
    expect(page.total).toBe(2500);
    expect(page.items.map((r) => [r.email, r.recipient.n, r.deliveryStatus])).toEqual([
      ['r6@x.org', 6, null],
      ['r7@x.org', 7, null],
    ]);
  });

  it('gives recipients without a valid timezone the fallback zone and reports them', async () => {
    const { scheduler } = await setup(backend, { batches: { fallbackTimezone: 'America/New_York' } });
    const result = await scheduler.batches.createTimezoneBatches(
      2,
      [
        { email: 'ok@x.org', timezone: 'America/Chicago' },
        { email: 'missing@x.org' },
        { email: 'typo@x.org', timezone: 'Europe/Berln' },
        { email: 'offset@x.org', timezone: '+05:30' },
        { email: 'number@x.org', timezone: 42 },
        { email: 'empty@x.org', timezone: '' },
        { email: 'ny@x.org', timezone: 'America/New_York' },
      ],
      { time: '09:00', date: '2026-03-10' },
    );
    expect(result.fallback).toEqual({
      timezone: 'America/New_York',
      count: 5,
      recipients: [
        { email: 'missing@x.org', given: null, reason: 'missing' },
        { email: 'typo@x.org', given: 'Europe/Berln', reason: 'invalid' },
        { email: 'offset@x.org', given: '+05:30', reason: 'invalid' },
        { email: 'number@x.org', given: '42', reason: 'invalid' },
        { email: 'empty@x.org', given: '', reason: 'missing' },
      ],
      truncated: false,
    });
    const ny = byInstant(result)['2026-03-10T13:00:00.000Z']!; // 09:00 EDT
    expect(ny).toMatchObject({ recipientCount: 6, fallbackCount: 5 });
    expect(ny.timezones).toEqual([
      expect.objectContaining({ timezone: 'America/New_York', recipientCount: 6, fallbackCount: 5 }),
    ]);
    expect(byInstant(result)['2026-03-10T14:00:00.000Z']).toMatchObject({ recipientCount: 1 }); // Chicago CDT

    // The message carries the zone actually used.
    await scheduler.tick(new Date('2026-03-10T13:00:00Z'));
    const delivery = await scheduler.deliveries.get(`batch:${ny.id}:typo@x.org`);
    expect(delivery?.message.recipient.timezone).toBe('America/New_York');

    // A per-call fallback overrides the scheduler's.
    const other = await scheduler.batches.createTimezoneBatches(3, [{ email: 'a@x.org' }], '09:00', {
      fallbackTimezone: 'Asia/Kolkata',
    });
    expect(other.fallback).toMatchObject({ timezone: 'Asia/Kolkata', count: 1 });
    expect(iso(other.batches[0]!.scheduledFor)).toBe('2026-03-03T03:30:00.000Z');
  });

  it('resolves a target inside a DST gap forward and inside an overlap to the first pass', async () => {
    const { scheduler } = await setup(backend);
    const gap = await scheduler.batches.createTimezoneBatches(
      4,
      [
        { email: 'ny@x.org', timezone: 'America/New_York' },
        { email: 'la@x.org', timezone: 'America/Los_Angeles' },
      ],
      { time: '02:30', date: '2026-03-08' },
    );
    // 02:30 does not exist on 8 March 2026 in the US: it moves forward by the gap, to 03:30 daylight time.
    expect(byInstant(gap)['2026-03-08T07:30:00.000Z']!.timezones).toEqual([
      expect.objectContaining({
        timezone: 'America/New_York',
        localDateTime: '2026-03-08T03:30:00',
        dst: 'gap',
      }),
    ]);
    expect(byInstant(gap)['2026-03-08T10:30:00.000Z']!.timezones[0]).toMatchObject({
      timezone: 'America/Los_Angeles',
      dst: 'gap',
    });

    const overlap = await scheduler.batches.createTimezoneBatches(
      4,
      [
        { email: 'ny@x.org', timezone: 'America/New_York' },
        { email: 'lhi@x.org', timezone: 'Australia/Lord_Howe' },
        { email: 'berlin@x.org', timezone: 'Europe/Berlin' },
      ],
      { time: '01:45', date: '2026-11-01' },
    );
    const instants = byInstant(overlap);
    // 01:45 happens twice in New York on 1 November 2026: the first (daylight, -4) is taken.
    expect(instants['2026-11-01T05:45:00.000Z']!.timezones[0]).toMatchObject({
      timezone: 'America/New_York',
      localDateTime: '2026-11-01T01:45:00',
      dst: 'overlap',
    });
    expect(instants['2026-11-01T00:45:00.000Z']!.timezones[0]).toMatchObject({
      timezone: 'Europe/Berlin',
      dst: null,
    });
    expect(instants['2026-10-31T14:45:00.000Z']!.timezones[0]).toMatchObject({
      timezone: 'Australia/Lord_Howe',
      dst: null,
    });

    // Lord Howe's DST shift is 30 minutes: 01:45 on 5 April 2026 comes twice, first at +11.
    const lordHowe = await scheduler.batches.createTimezoneBatches(
      5,
      [{ email: 'lhi@x.org', timezone: 'Australia/Lord_Howe' }],
      { time: '01:45', date: '2026-04-05' },
    );
    expect(iso(lordHowe.batches[0]!.scheduledFor)).toBe('2026-04-04T14:45:00.000Z');
    expect(lordHowe.batches[0]!.timezones[0]!.dst).toBe('overlap');
  });

  describe('a target already past in some zones (now is 2026-03-02T08:00Z)', () => {
    const recipients = [
      { email: 'utc@x.org', timezone: 'UTC' }, // 09:00Z: ahead
      { email: 'berlin@x.org', timezone: 'Europe/Berlin' }, // 08:00Z: exactly now, not past
      { email: 'tokyo@x.org', timezone: 'Asia/Tokyo' }, // 00:00Z: past
      { email: 'seoul@x.org', timezone: 'Asia/Seoul' }, // 00:00Z: past
      { email: 'kolkata@x.org', timezone: 'Asia/Kolkata' }, // 03:30Z: past
    ];
    const target = { time: '09:00', date: '2026-03-02' };

    it('next-day (the default) sends at the next occurrence and reports it', async () => {
      const { scheduler } = await setup(backend);
      const result = await scheduler.batches.createTimezoneBatches(6, recipients, target);
      expect(Object.keys(byInstant(result)).sort()).toEqual([
        '2026-03-02T08:00:00.000Z',
        '2026-03-02T09:00:00.000Z',
        '2026-03-03T00:00:00.000Z',
        '2026-03-03T03:30:00.000Z',
      ]);
      expect(byInstant(result)['2026-03-03T00:00:00.000Z']!.timezones).toEqual([
        expect.objectContaining({
          timezone: 'Asia/Seoul',
          pastTarget: 'next-day',
          localDateTime: '2026-03-03T09:00:00',
        }),
        expect.objectContaining({ timezone: 'Asia/Tokyo', pastTarget: 'next-day' }),
      ]);
      expect(byInstant(result)['2026-03-02T08:00:00.000Z']!.timezones[0]).toMatchObject({
        timezone: 'Europe/Berlin',
        pastTarget: null,
      });
      expect(result.pastTarget).toEqual({
        policy: 'next-day',
        recipientCount: 3,
        timezones: [
          { timezone: 'Asia/Kolkata', recipientCount: 1, action: 'next-day' },
          { timezone: 'Asia/Seoul', recipientCount: 1, action: 'next-day' },
          { timezone: 'Asia/Tokyo', recipientCount: 1, action: 'next-day' },
        ],
      });
    });

    it('send-now sends them at once, in one batch with any zone due right now', async () => {
      const { scheduler, transport } = await setup(backend);
      const result = await scheduler.batches.createTimezoneBatches(6, recipients, target, {
        pastTargetPolicy: 'send-now',
      });
      const now = byInstant(result)['2026-03-02T08:00:00.000Z']!;
      expect(now.timezones.map((z) => [z.timezone, z.pastTarget, z.localDateTime])).toEqual([
        ['Asia/Kolkata', 'send-now', '2026-03-02T13:30:00'],
        ['Asia/Seoul', 'send-now', '2026-03-02T17:00:00'],
        ['Asia/Tokyo', 'send-now', '2026-03-02T17:00:00'],
        ['Europe/Berlin', null, '2026-03-02T09:00:00'],
      ]);
      expect(result.batches).toHaveLength(2);
      expect(result.pastTarget).toMatchObject({ policy: 'send-now', recipientCount: 3 });
      await scheduler.tick(new Date('2026-03-02T08:00:00Z'));
      expect(transport.sentKeys.sort()).toEqual(
        ['berlin', 'kolkata', 'seoul', 'tokyo'].map((n) => `batch:${now.id}:${n}@x.org`),
      );
    });

    it('skip records them in a skipped batch that never sends', async () => {
      const { scheduler, transport } = await setup(backend);
      const result = await scheduler.batches.createTimezoneBatches(6, recipients, target, {
        pastTargetPolicy: 'skip',
      });
      expect(result).toMatchObject({ scheduledCount: 2, skippedCount: 3 });
      const skipped = result.batches.filter((b) => b.status === 'skipped');
      expect(skipped.map((b) => [iso(b.scheduledFor), b.recipientCount])).toEqual([
        ['2026-03-02T00:00:00.000Z', 2],
        ['2026-03-02T03:30:00.000Z', 1],
      ]);
      expect(skipped[0]).toMatchObject({
        statusReason: 'the target time had passed (pastTargetPolicy: skip)',
        counts: { skipped: 2, enqueued: 0 },
      });
      for (const hour of ['08', '09', '10', '12'])
        await scheduler.tick(new Date(`2026-03-02T${hour}:00:00Z`));
      expect(transport.sentKeys.map((k) => k.split(':')[2]).sort()).toEqual(['berlin@x.org', 'utc@x.org']);
      expect((await scheduler.batches.list({ status: 'skipped' })).total).toBe(2);
      await expect(scheduler.batches.cancel(skipped[0]!.id)).rejects.toBeInstanceOf(ConflictError);
    });
  });

  it("without a date, uses each zone's next occurrence of the time", async () => {
    const { scheduler } = await setup(backend);
    const result = await scheduler.batches.createTimezoneBatches(
      8,
      [
        { email: 'utc@x.org', timezone: 'UTC' },
        { email: 'tokyo@x.org', timezone: 'Asia/Tokyo' },
        { email: 'berlin@x.org', timezone: 'Europe/Berlin' },
      ],
      '09:00',
    );
    expect(result.target).toEqual({ time: '09:00', date: null });
    expect(result.batches.map((b) => [iso(b.scheduledFor), b.timezones[0]!.timezone])).toEqual([
      ['2026-03-02T08:00:00.000Z', 'Europe/Berlin'], // 09:00 there is exactly now
      ['2026-03-02T09:00:00.000Z', 'UTC'],
      ['2026-03-03T00:00:00.000Z', 'Asia/Tokyo'], // already 17:00 there: tomorrow
    ]);
    expect(result.pastTarget.recipientCount).toBe(0);
  });

  it('reads recipients from an async iterable a chunk at a time', async () => {
    const { scheduler } = await setup(backend);
    async function* stream() {
      for (let i = 0; i < 2100; i++) yield { email: `s${i}@x.org`, timezone: i % 2 ? 'Asia/Tokyo' : 'UTC' };
    }
    const result = await scheduler.batches.createTimezoneBatches(9, stream(), {
      time: '09:00',
      date: '2026-03-05',
    });
    expect(result.batches.map((b) => [iso(b.scheduledFor), b.recipientCount])).toEqual([
      ['2026-03-05T00:00:00.000Z', 1050],
      ['2026-03-05T09:00:00.000Z', 1050],
    ]);
  });

  describe('creating the same campaign and target twice', () => {
    const list = [
      { email: 'a@x.org', timezone: 'UTC' },
      { email: 'b@x.org', timezone: 'Asia/Tokyo' },
    ];
    const target = { time: '09:00', date: '2026-03-05' };

    it('an identical request is a replay: the first batches, no new rows, no double send', async () => {
      const { scheduler, transport } = await setup(backend);
      const first = await scheduler.batches.createTimezoneBatches(10, list, target, {
        message: { subject: 'S' },
      });
      const events: unknown[] = [];
      scheduler.events.on('batch:created', (e) => events.push(e));
      const again = await scheduler.batches.create({
        campaignId: '10',
        recipients: list.map((r) => ({ ...r })),
        target,
        message: { subject: 'S' },
      });
      expect(again.replayed).toBe(true);
      expect({ ...again, replayed: false }).toEqual(first);
      expect(events).toHaveLength(0);
      expect((await scheduler.batches.list()).total).toBe(2);
      await scheduler.tick(new Date('2026-03-05T09:00:00Z'));
      expect(transport.sentKeys).toHaveLength(2);
    });

    it('a different request for the same key is a conflict and writes nothing', async () => {
      const { scheduler } = await setup(backend);
      await scheduler.batches.createTimezoneBatches(10, list, target);
      const conflict = scheduler.batches.createTimezoneBatches(10, [...list, { email: 'c@x.org' }], target);
      await expect(conflict).rejects.toBeInstanceOf(ConflictError);
      await expect(conflict).rejects.toThrow(/campaign 10 at 09:00 on 2026-03-05 already exist/);
      await expect(
        scheduler.batches.createTimezoneBatches(10, list, target, { message: { subject: 'other' } }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect((await scheduler.batches.list()).total).toBe(2);
      // Another date, or another campaign, is another key.
      await scheduler.batches.createTimezoneBatches(10, list, { ...target, date: '2026-03-06' });
      await scheduler.batches.createTimezoneBatches(11, list, target);
      expect((await scheduler.batches.list()).total).toBe(6);
    });

    it('once every batch was cancelled before sending, the key is free again', async () => {
      const { scheduler } = await setup(backend);
      const first = await scheduler.batches.createTimezoneBatches(10, list, target);
      expect((await scheduler.batches.cancelCampaign(10)).cancelledBatchIds).toHaveLength(2);
      const second = await scheduler.batches.createTimezoneBatches(10, [{ email: 'z@x.org' }], target);
      expect(second.replayed).toBe(false);
      expect(second.requestId).not.toBe(first.requestId);
      expect(second.batches.map((b) => b.recipientEmails)).toEqual([['z@x.org']]);

      // A batch that has begun sending keeps the key taken.
      await scheduler.tick(new Date('2026-03-05T09:00:00Z'));
      await scheduler.batches.cancelCampaign(10);
      await expect(scheduler.batches.createTimezoneBatches(10, list, target)).rejects.toBeInstanceOf(
        ConflictError,
      );
    });
  });

  it('rejects bad input with a ValidationError naming the field, writing nothing', async () => {
    const { scheduler } = await setup(backend);
    const good = [{ email: 'a@x.org', timezone: 'UTC' }];
    const issues = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).issues.map((i) => i.path);
    };
    expect(await issues(scheduler.batches.createTimezoneBatches(0, good, '09:00'))).toEqual(['campaignId']);
    expect(await issues(scheduler.batches.createTimezoneBatches(1.5, good, '09:00'))).toEqual(['campaignId']);
    expect(await issues(scheduler.batches.createTimezoneBatches(1, good, '9:00'))).toEqual(['target.time']);
    expect(await issues(scheduler.batches.createTimezoneBatches(1, good, '24:00'))).toEqual(['target.time']);
    expect(
      await issues(scheduler.batches.createTimezoneBatches(1, good, { time: '09:00', date: '2026-02-29' })),
    ).toEqual(['target.date']);
    expect(
      await issues(
        scheduler.batches.createTimezoneBatches(
          1,
          [...good, { email: 'not-an-email' }, { name: 'x' }] as never,
          '09:00',
        ),
      ),
    ).toEqual(['recipients.1.email', 'recipients.2.email']);
    expect(await issues(scheduler.batches.createTimezoneBatches(1, [], '09:00'))).toEqual(['recipients']);
    // One error names every bad field, of the request and of its recipients.
    expect(
      await issues(
        scheduler.batches.create({ campaignId: -3, recipients: [{ email: 'x' }], target: '25:00' }),
      ),
    ).toEqual(['campaignId', 'target.time', 'recipients.0.email']);
    expect(await issues(scheduler.batches.createTimezoneBatches(1, 'a@x.org' as never, '09:00'))).toEqual([
      'recipients',
    ]);
    expect(
      await issues(
        scheduler.batches.createTimezoneBatches(1, good, '09:00', { pastTargetPolicy: 'later' as never }),
      ),
    ).toEqual(['pastTargetPolicy']);
    expect(
      await issues(
        scheduler.batches.createTimezoneBatches(1, good, '09:00', { fallbackTimezone: 'Mars/Base' }),
      ),
    ).toEqual(['fallbackTimezone']);
    expect(
      await issues(
        scheduler.batches.createTimezoneBatches(1, good, '09:00', {
          message: { subject: 'x', cc: ['nope'] },
        }),
      ),
    ).toEqual(['message.cc.0']);
    async function* badStream() {
      yield { email: 'ok@x.org' };
      yield { email: 'bad' };
    }
    expect(await issues(scheduler.batches.createTimezoneBatches(1, badStream(), '09:00'))).toEqual([
      'recipients.1.email',
    ]);
    expect((await scheduler.batches.list()).total).toBe(0);
    // Nothing was written, so the key is still free.
    await scheduler.batches.createTimezoneBatches(1, good, '09:00');
    expect((await scheduler.batches.list()).total).toBe(1);
  });

  it('rejects bad engine options when the scheduler is created', async () => {
    await expect(setup(backend, { batches: { fallbackTimezone: 'Nowhere' } })).rejects.toThrow(
      /options\.batches\.fallbackTimezone/,
    );
    await expect(setup(backend, { batches: { maxRecipientsPerTick: 0 } })).rejects.toThrow(
      /options\.batches\.maxRecipientsPerTick/,
    );
  });
});

describe.each(backends)('timezone batches at scale on $name', (backend) => {
  // One PGlite boot per file is the slow part of this suite, so the scale test lives here.
  it('100,000 recipients across every IANA zone make exactly one batch per distinct send instant', async () => {
    const zones = Intl.supportedValuesOf('timeZone');
    // Expected grouping from Intl alone: instant → zone → recipients.
    const instantOf = new Map(zones.map((zone) => [zone, intlInstant('2026-03-10', '09:00', zone)]));
    const expected = new Map<number, Map<string, number>>();
    const recipients = Array.from({ length: 100_000 }, (_, i) => {
      const timezone = zones[i % zones.length]!;
      const instant = instantOf.get(timezone)!;
      const byZone = expected.get(instant) ?? new Map<string, number>();
      expected.set(instant, byZone.set(timezone, (byZone.get(timezone) ?? 0) + 1));
      return { email: `p${i}@example.org`, timezone, n: i };
    });

    const { scheduler } = await setup(backend);
    const started = performance.now();
    const result = await scheduler.batches.createTimezoneBatches(50, recipients, {
      time: '09:00',
      date: '2026-03-10',
    });
    const elapsed = Math.round(performance.now() - started);
    console.info(
      `[${backend.name}] createTimezoneBatches: 100,000 recipients, ${zones.length} zones, ${elapsed} ms`,
    );

    expect(result).toMatchObject({
      received: 100_000,
      duplicatesRemoved: 0,
      scheduledCount: 100_000,
      skippedCount: 0,
    });
    expect(result.fallback.count).toBe(0);
    expect(result.batches).toHaveLength(expected.size);
    for (const batch of result.batches) {
      const byZone = expected.get(batch.scheduledFor.getTime());
      expect(byZone, batch.scheduledFor.toISOString()).toBeDefined();
      expect(Object.fromEntries(batch.timezones.map((z) => [z.timezone, z.recipientCount]))).toEqual(
        Object.fromEntries(byZone!),
      );
      expect(batch.recipientCount).toBe([...byZone!.values()].reduce((a, b) => a + b, 0));
    }
    expect((await scheduler.batches.list({ limit: 500 })).total).toBe(expected.size);
  });
});
