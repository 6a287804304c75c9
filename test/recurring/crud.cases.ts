import { expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../src/index.js';
import type { Backend } from '../support/backends.js';
import {
  at,
  campaignInput,
  DAY,
  expectValidationError,
  HOUR,
  iso,
  runsOf,
  T0,
  tickAll,
  setupRecurring,
} from './helpers.js';

export function crudCases(backend: Backend): void {
  it('creates a campaign with defaults and its first nextRunAt, and reads it back', async () => {
    const { scheduler } = await setupRecurring(backend);
    const created = await scheduler.recurring.create(
      campaignInput({ cc: ['boss@x.org'], scheduleCron: '30 10 * * 1', timezone: 'Europe/Berlin' }),
    );
    expect(created).toMatchObject({
      id: expect.any(Number),
      name: 'Daily digest',
      templateId: 7,
      subject: 'Your digest',
      recipientSource: 'static',
      recipientData: ['a@x.org', { email: 'b@x.org', name: 'Bea', plan: 'pro' }],
      cc: ['boss@x.org'],
      bcc: [],
      enabled: true,
      startAt: null,
      endAt: null,
      maxRuns: null,
      runCount: 0,
      missedRunPolicy: 'latest',
      maxLatenessMs: null,
      lastRunAt: null,
      disabledReason: null,
    });
    // Monday 2026-03-02 10:30 in Berlin (UTC+1) is 09:30Z, after the clock's 08:00Z.
    expect(created.nextRunAt?.toISOString()).toBe('2026-03-02T09:30:00.000Z');
    expect(created.createdAt.toISOString()).toBe(T0.toISOString());
    expect(await scheduler.recurring.get(created.id)).toEqual(created);
    expect(await scheduler.recurring.get(String(created.id))).toEqual(created);
  });

  it('lists with limit, offset, total and the enabled filter', async () => {
    const { scheduler } = await setupRecurring(backend);
    for (let i = 1; i <= 5; i++) {
      await scheduler.recurring.create(campaignInput({ name: `c${i}`, enabled: i % 2 === 1 }));
    }
    const page = await scheduler.recurring.list({ limit: 2, offset: 1 });
    expect(page).toMatchObject({ total: 5, limit: 2, offset: 1 });
    expect(page.items.map((c) => c.name)).toEqual(['c2', 'c3']);
    const enabled = await scheduler.recurring.list({ enabled: true });
    expect(enabled.items.map((c) => c.name)).toEqual(['c1', 'c3', 'c5']);
    expect(enabled.total).toBe(3);
    expect(
      (await scheduler.recurring.list({ enabled: 'false', limit: '1' })).items.map((c) => c.name),
    ).toEqual(['c2']);
    expect(await scheduler.recurring.list()).toMatchObject({ total: 5, limit: 50, offset: 0 });
    await expectValidationError(scheduler.recurring.list({ limit: 501 }), ['limit']);
    await expectValidationError(scheduler.recurring.list({ offset: -1, enabled: 'yes' } as never), [
      'offset',
      'enabled',
    ]);
  });

  it('rejects bad input naming each field, and writes nothing', async () => {
    const { scheduler } = await setupRecurring(backend, {
      recurring: { url: { allowedOrigins: ['https://lists.x.org'] } },
    });
    const bad = (overrides: Record<string, unknown>) =>
      scheduler.recurring.create(campaignInput(overrides as never));
    await expectValidationError(bad({ scheduleCron: '61 * * * *' }), ['scheduleCron']);
    await expectValidationError(bad({ scheduleCron: '0 0 30 2 *' }), ['scheduleCron']);
    await expectValidationError(bad({ timezone: 'Mars/Olympus' }), ['timezone']);
    await expectValidationError(bad({ timezone: '+02:00' }), ['timezone']);
    await expectValidationError(bad({ cc: ['ok@x.org', 'not-an-email'], bcc: 'x@y.org' }), ['cc.1', 'bcc']);
    await expectValidationError(bad({ name: '  ', subject: '' }), ['name', 'subject']);
    await expectValidationError(bad({ recipientSource: 'crm' }), ['recipientSource']);
    await expectValidationError(bad({ recipientData: ['a@x.org', 'nope', { email: 'x' }, 42] }), [
      'recipientData.1',
      'recipientData.2.email',
      'recipientData.3',
    ]);
    await expectValidationError(bad({ recipientData: undefined }), ['recipientData']);
    await expectValidationError(bad({ recipientSource: 'url', recipientData: 'https://evil.example/list' }), [
      'recipientData',
    ]);
    await expectValidationError(
      bad({ recipientSource: 'url', recipientData: { url: 'ftp://lists.x.org/l' } }),
      ['recipientData.url'],
    );
    await expectValidationError(bad({ startAt: '2026-04-01T00:00:00Z', endAt: '2026-03-01T00:00:00Z' }), [
      'endAt',
    ]);
    await expectValidationError(bad({ startAt: '2026-04-01 00:00' }), ['startAt']);
    await expectValidationError(bad({ endAt: '2026-03-02T08:30:00Z' }), ['endAt']);
    await expectValidationError(bad({ maxRuns: 0, maxLatenessMs: -5, missedRunPolicy: 'some' }), [
      'maxRuns',
      'maxLatenessMs',
      'missedRunPolicy',
    ]);
    await expectValidationError(bad({ scheduleCorn: '* * * * *' }), ['']);
    const huge = Array.from({ length: 30_000 }, (_, i) => `recipient-number-${i}@example.org`);
    await expectValidationError(bad({ recipientData: huge }), ['recipientData']);
    await expectValidationError(scheduler.recurring.create(null as never), ['']);
    expect((await scheduler.recurring.list()).total).toBe(0);

    // The url source with an allowed origin is accepted, headers included.
    const ok = await scheduler.recurring.create(
      campaignInput({
        recipientSource: 'url',
        recipientData: { url: 'https://lists.x.org/a', headers: { 'x-key': 'k' } },
      }),
    );
    expect(ok.recipientSource).toBe('url');
  });

  it('validates ids and reports unknown ones as NotFoundError', async () => {
    const { scheduler } = await setupRecurring(backend);
    for (const id of ['abc', -1, 0, 1.5, null, {}, '12abc', 2 ** 40]) {
      await expectValidationError(scheduler.recurring.get(id as never), ['id']);
      await expectValidationError(scheduler.recurring.update(id as never, { name: 'x' }), ['id']);
      await expectValidationError(scheduler.recurring.delete(id as never), ['id']);
    }
    await expectValidationError(scheduler.recurring.getRun('x'), ['runId']);
    await expectValidationError(scheduler.recurring.processRecurringCampaigns(new Date('nope')), ['now']);
    const missing = await scheduler.recurring.get(999).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ entity: 'recurring campaign', id: 999 });
    const calls: Array<() => Promise<unknown>> = [
      () => scheduler.recurring.update(999, { name: 'x' }),
      () => scheduler.recurring.delete(999),
      () => scheduler.recurring.enable(999),
      () => scheduler.recurring.disable(999),
      () => scheduler.recurring.runNow(999),
      () => scheduler.recurring.listRuns(999),
      () => scheduler.recurring.previewRuns(999),
      () => scheduler.recurring.getRun(999),
    ];
    for (const call of calls) await expect(call()).rejects.toBeInstanceOf(NotFoundError);
  });

  it('updates part of a campaign; only schedule changes recompute nextRunAt, from now', async () => {
    const { scheduler, clock } = await setupRecurring(backend);
    const campaign = await scheduler.recurring.create(campaignInput({ startAt: '2026-03-01T00:00:00Z' }));
    clock.set('2026-03-02T10:00:00Z'); // the 09:00 occurrence is due and not yet run
    const renamed = await scheduler.recurring.update(campaign.id, {
      subject: 'New subject',
      cc: ['c@x.org'],
    });
    expect(renamed).toMatchObject({ subject: 'New subject', cc: ['c@x.org'], name: 'Daily digest' });
    expect(renamed.nextRunAt?.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(renamed.updatedAt.toISOString()).toBe('2026-03-02T10:00:00.000Z');

    const moved = await scheduler.recurring.update(campaign.id, { timezone: 'America/New_York' });
    // From now (10:00Z = 05:00 EST): 09:00 EST is 14:00Z the same day; the overdue 09:00Z is not backfilled.
    expect(moved.nextRunAt?.toISOString()).toBe('2026-03-02T14:00:00.000Z');
    const recron = await scheduler.recurring.update(campaign.id, {
      scheduleCron: '15 4 * * *',
      startAt: null,
    });
    expect(recron.nextRunAt?.toISOString()).toBe('2026-03-03T09:15:00.000Z');
    expect(recron.startAt).toBeNull();

    // A bad patch writes nothing at all.
    await expectValidationError(
      scheduler.recurring.update(campaign.id, { name: 'ok', timezone: 'Nowhere/City' }),
      ['timezone'],
    );
    await expectValidationError(scheduler.recurring.update(campaign.id, { recipientSource: 'url' }), [
      'recipientData',
    ]);
    await expectValidationError(
      scheduler.recurring.update(campaign.id, {
        startAt: '2026-05-01T00:00:00Z',
        endAt: '2026-04-01T00:00:00Z',
      }),
      ['endAt'],
    );
    await expectValidationError(
      scheduler.recurring.update(campaign.id, {
        endAt: '2026-04-01T00:00:00Z',
        startAt: '2026-04-02T00:00:00Z',
      }),
      ['endAt'],
    );
    await expectValidationError(scheduler.recurring.update(campaign.id, { id: 3 } as never), ['']);
    expect(await scheduler.recurring.get(campaign.id)).toEqual(recron);

    const cleared = await scheduler.recurring.update(campaign.id, {
      templateId: null,
      maxRuns: 3,
      maxLatenessMs: HOUR,
    });
    expect(cleared).toMatchObject({ templateId: null, maxRuns: 3, maxLatenessMs: HOUR });
  });

  it('disable clears nextRunAt and cancels unsent work; enable computes from now without backfill', async () => {
    const { scheduler, clock, transport } = await setupRecurring(backend);
    const campaign = await scheduler.recurring.create(campaignInput());
    // Run the 09:00 occurrence but keep its messages in the outbox (the transport is not reached).
    await scheduler.recurring.processRecurringCampaigns(at('2026-03-02T09:00:00Z'));
    const pendingRun = await scheduler.recurring.runNow(campaign.id);

    clock.set('2026-03-02T09:30:00Z');
    const disabled = await scheduler.recurring.disable(campaign.id);
    expect(disabled).toMatchObject({ enabled: false, nextRunAt: null, disabledReason: null });
    const [scheduled, manual] = await runsOf(scheduler, campaign.id);
    expect(scheduled).toMatchObject({ status: 'completed', deliveries: { cancelled: 2, pending: 0 } });
    expect(manual).toMatchObject({ id: pendingRun.id, status: 'cancelled', error: 'campaign disabled' });
    await tickAll(scheduler, at('2026-03-05T09:00:00Z'));
    expect(transport.calls).toHaveLength(0);

    // Three days later: enabling does not run the missed 03-03..03-05 occurrences.
    clock.set('2026-03-05T12:00:00Z');
    const enabled = await scheduler.recurring.enable(campaign.id);
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null });
    expect(enabled.nextRunAt?.toISOString()).toBe('2026-03-06T09:00:00.000Z');
    expect(await scheduler.recurring.enable(campaign.id)).toEqual(enabled);
    await tickAll(scheduler, at('2026-03-06T09:00:00Z'));
    expect([...transport.sentKeys].sort()).toEqual([
      `recurring:${campaign.id}:2026-03-06T09:00:00.000Z:a@x.org`,
      `recurring:${campaign.id}:2026-03-06T09:00:00.000Z:b@x.org`,
    ]);

    // update({ enabled }) behaves like disable/enable.
    clock.set('2026-03-08T00:00:00Z');
    expect(await scheduler.recurring.update(campaign.id, { enabled: false })).toMatchObject({
      nextRunAt: null,
    });
    const back = await scheduler.recurring.update(campaign.id, { enabled: true });
    expect(back.nextRunAt?.toISOString()).toBe('2026-03-08T09:00:00.000Z');
  });

  it('disable with cancelPending: false lets started work finish', async () => {
    const { scheduler, transport } = await setupRecurring(backend);
    const campaign = await scheduler.recurring.create(campaignInput());
    await scheduler.recurring.processRecurringCampaigns(at('2026-03-02T09:00:00Z'));
    await scheduler.recurring.disable(campaign.id, { cancelPending: false });
    await tickAll(scheduler, at('2026-03-02T09:01:00Z'));
    expect(transport.sent).toHaveLength(2);
    await expectValidationError(scheduler.recurring.disable(campaign.id, { cancel: true } as never), [
      'options',
    ]);
  });

  it('enable refuses a campaign whose maxRuns or endAt is reached', async () => {
    const { scheduler, clock } = await setupRecurring(backend);
    const campaign = await scheduler.recurring.create(campaignInput({ maxRuns: 1 }));
    await tickAll(scheduler, at('2026-03-02T09:00:00Z'));
    expect(await scheduler.recurring.get(campaign.id)).toMatchObject({
      enabled: false,
      nextRunAt: null,
      disabledReason: 'maxRuns',
      runCount: 1,
    });
    const error = await scheduler.recurring.enable(campaign.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/maxRuns/);
    await expectValidationError(scheduler.recurring.update(campaign.id, { enabled: true }), ['maxRuns']);
    clock.set('2026-03-03T10:00:00Z');
    const raised = await scheduler.recurring.update(campaign.id, { maxRuns: 2, enabled: true });
    expect(raised).toMatchObject({ enabled: true, disabledReason: null });
    expect(raised.nextRunAt?.toISOString()).toBe('2026-03-04T09:00:00.000Z');
  });

  it('delete cancels unsent messages and removes the campaign and its runs', async () => {
    const { scheduler, database } = await setupRecurring(backend);
    const keep = await scheduler.recurring.create(campaignInput({ name: 'keep' }));
    const campaign = await scheduler.recurring.create(campaignInput());
    await scheduler.recurring.processRecurringCampaigns(at('2026-03-02T09:00:00Z'));
    expect(await scheduler.recurring.delete(campaign.id)).toEqual({
      id: campaign.id,
      cancelledDeliveries: 2,
    });
    await expect(scheduler.recurring.get(campaign.id)).rejects.toBeInstanceOf(NotFoundError);
    const runs = await database.raw<{ campaign_id: number }>(
      'select campaign_id from tickwork_recurring_runs',
    );
    expect(runs.map((r) => Number(r.campaign_id))).toEqual([keep.id]);
    expect(await scheduler.deliveries.counts({ sourceType: 'recurring' })).toMatchObject({
      cancelled: 2,
      pending: 2,
    });
    await expect(scheduler.recurring.delete(campaign.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('previews runs of a campaign (startAt, endAt, maxRuns) and of a bare schedule', async () => {
    const { scheduler } = await setupRecurring(backend);
    const campaign = await scheduler.recurring.create(
      campaignInput({
        scheduleCron: '0 9 * * 1',
        startAt: '2026-03-09T09:00:00Z',
        endAt: '2026-04-06T09:00:00Z',
      }),
    );
    expect(campaign.nextRunAt?.toISOString()).toBe('2026-03-09T09:00:00.000Z');
    expect(iso(await scheduler.recurring.previewRuns(campaign.id, 10))).toEqual([
      '2026-03-09T09:00:00.000Z',
      '2026-03-16T09:00:00.000Z',
      '2026-03-23T09:00:00.000Z',
      '2026-03-30T09:00:00.000Z',
      '2026-04-06T09:00:00.000Z',
    ]);
    await scheduler.recurring.update(campaign.id, { maxRuns: 2 });
    expect(await scheduler.recurring.previewRuns(campaign.id, 10)).toHaveLength(2);
    // 2026-03-29 is the EU spring-forward: 09:00 Berlin is 08:00Z before and 07:00Z after.
    expect(
      iso(
        await scheduler.recurring.previewRuns(
          { cron: '0 9 * * 0', timezone: 'Europe/Berlin', from: '2026-03-20T00:00:00Z' },
          3,
        ),
      ),
    ).toEqual(['2026-03-22T08:00:00.000Z', '2026-03-29T07:00:00.000Z', '2026-04-05T07:00:00.000Z']);
    expect(await scheduler.recurring.previewRuns({ cron: '0 * * * *' })).toHaveLength(10);
    await expectValidationError(scheduler.recurring.previewRuns({ cron: 'bad', timezone: 'Bad/Zone' }, 3), [
      'cron',
      'timezone',
    ]);
    await expectValidationError(scheduler.recurring.previewRuns(campaign.id, 0), ['count']);
    await expectValidationError(scheduler.recurring.previewRuns(campaign.id, 1001), ['count']);
  });

  it('a future startAt holds the first run back; an endAt with no run before it is refused', async () => {
    const { scheduler } = await setupRecurring(backend);
    const later = await scheduler.recurring.create(campaignInput({ startAt: '2026-03-10T09:00:00Z' }));
    expect(later.nextRunAt?.toISOString()).toBe('2026-03-10T09:00:00.000Z');
    const soon = await scheduler.recurring.create(campaignInput({ startAt: '2026-03-10T09:00:01+00:00' }));
    expect(soon.nextRunAt?.toISOString()).toBe('2026-03-11T09:00:00.000Z');
    await expectValidationError(
      scheduler.recurring.create(
        campaignInput({ startAt: '2026-03-10T10:00:00Z', endAt: '2026-03-11T08:00:00Z' }),
      ),
      ['endAt'],
    );
    // A disabled campaign needs no next run.
    const off = await scheduler.recurring.create(
      campaignInput({ enabled: false, endAt: '2026-03-02T08:30:00Z' }),
    );
    expect(off).toMatchObject({ enabled: false, nextRunAt: null });
    // Days later nothing ran for either disabled or future campaigns before their time.
    await tickAll(scheduler, new Date(T0.getTime() + 7 * DAY));
    expect((await scheduler.recurring.get(later.id)).runCount).toBe(0);
  });
}
