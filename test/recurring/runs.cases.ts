import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConflictError, createScheduler, type RecipientSources, type Scheduler } from '../../src/index.js';
import { CapturingTransport } from '../../src/testing/index.js';
import type { Backend } from '../support/backends.js';
import {
  at,
  campaignInput,
  capture,
  expectValidationError,
  DAY,
  iso,
  MINUTE,
  plus,
  runsOf,
  tickAll,
  setupRecurring,
} from './helpers.js';
import { startRecipientServer, type RecipientServer } from './server.js';

export function runCases(backend: Backend): void {
  let server: RecipientServer;
  beforeAll(async () => {
    server = await startRecipientServer();
  });
  afterAll(() => server.close());

  it('runs a due occurrence exactly once, with the message, keys and run record the contract names', async () => {
    const { scheduler, transport } = await setupRecurring(backend);
    const seen = capture(scheduler.events);
    const campaign = await scheduler.recurring.create(
      campaignInput({ cc: ['cc@x.org'], bcc: ['audit@x.org'] }),
    );

    await scheduler.tick(at('2026-03-02T08:59:59.999Z'));
    expect(transport.calls).toHaveLength(0);
    const summary = await scheduler.tick(at('2026-03-02T09:00:00Z'));
    expect(summary.phases.recurring).toMatchObject({
      occurrences: 1,
      completed: 1,
      processed: 1,
      moreDue: false,
    });

    const [run] = await runsOf(scheduler, campaign.id);
    expect(run).toMatchObject({
      campaignId: campaign.id,
      kind: 'scheduled',
      status: 'completed',
      attempts: 1,
      error: null,
      recipientCount: 2,
      invalidCount: 0,
      duplicateCount: 0,
      nextAttemptAt: null,
      deliveries: { sent: 2 },
    });
    expect(iso([run!.scheduledAt, run!.startedAt, run!.finishedAt])).toEqual(
      Array(3).fill('2026-03-02T09:00:00.000Z'),
    );

    const byTo = Object.fromEntries(transport.sent.map((s) => [s.message.to, s]));
    expect(byTo['b@x.org']).toEqual({
      idempotencyKey: `recurring:${campaign.id}:2026-03-02T09:00:00.000Z:b@x.org`,
      attempt: 1,
      message: {
        to: 'b@x.org',
        cc: ['cc@x.org'],
        bcc: ['audit@x.org'],
        subject: 'Your digest',
        templateId: 7,
        recipient: { email: 'b@x.org', name: 'Bea', plan: 'pro' },
        origin: {
          type: 'recurring',
          campaignId: campaign.id,
          runId: run!.id,
          scheduledAt: '2026-03-02T09:00:00.000Z',
          firedAt: '2026-03-02T09:00:00.000Z',
          latenessMs: 0,
          catchUp: false,
          manual: false,
        },
      },
    });
    expect(byTo['a@x.org']?.message.recipient).toEqual({ email: 'a@x.org' });
    const row = await scheduler.deliveries.get(`recurring:${campaign.id}:2026-03-02T09:00:00.000Z:a@x.org`);
    expect(row).toMatchObject({ sourceType: 'recurring', sourceId: run!.id, status: 'sent' });

    const after = await scheduler.recurring.get(campaign.id);
    expect(iso([after.lastRunAt, after.nextRunAt])).toEqual([
      '2026-03-02T09:00:00.000Z',
      '2026-03-03T09:00:00.000Z',
    ]);
    expect(after.runCount).toBe(1);

    await scheduler.tick(at('2026-03-02T09:00:00Z'));
    await scheduler.tick(at('2026-03-02T12:00:00Z'));
    expect(transport.calls).toHaveLength(2);
    expect(seen['recurring:started']).toEqual([
      {
        campaignId: campaign.id,
        runId: run!.id,
        kind: 'scheduled',
        scheduledAt: at('2026-03-02T09:00:00Z'),
        attempt: 1,
        firedAt: at('2026-03-02T09:00:00Z'),
      },
    ]);
    expect(seen['recurring:completed']).toEqual([
      expect.objectContaining({
        runId: run!.id,
        recipientCount: 2,
        enqueued: 2,
        invalidCount: 0,
        duplicateCount: 0,
      }),
    ]);
    expect(seen['recurring:failed']).toBeUndefined();
  });

  it('de-duplicates emails case-insensitively (the first wins) and skips invalid entries, counting them', async () => {
    const calls: unknown[] = [];
    const recipientSources: RecipientSources = {
      api: (data, context) => {
        calls.push({ data, campaignId: context.campaignId, aborted: context.signal.aborted });
        return [
          'Ann@X.org',
          { email: 'ann@x.org', name: 'second Ann' },
          { email: ' bob@x.org ', name: 'Bob', timezone: 'Asia/Kolkata', tags: ['vip'] },
          'not an email',
          42,
          { name: 'no email' },
          { email: 'big@x.org', n: 10n },
          'BOB@x.org',
        ] as never;
      },
    };
    const { scheduler, transport } = await setupRecurring(backend, {}, { recipientSources });
    const campaign = await scheduler.recurring.create(
      campaignInput({ recipientSource: 'api', recipientData: { list: 'customers' } }),
    );
    await tickAll(scheduler, at('2026-03-02T09:00:00Z'));
    expect(calls).toEqual([{ data: { list: 'customers' }, campaignId: campaign.id, aborted: false }]);
    expect(transport.sent.map((s) => [s.idempotencyKey, s.message.to, s.message.recipient]).sort()).toEqual([
      [`recurring:${campaign.id}:2026-03-02T09:00:00.000Z:ann@x.org`, 'Ann@X.org', { email: 'Ann@X.org' }],
      [
        `recurring:${campaign.id}:2026-03-02T09:00:00.000Z:bob@x.org`,
        'bob@x.org',
        { email: 'bob@x.org', name: 'Bob', timezone: 'Asia/Kolkata', tags: ['vip'] },
      ],
    ]);
    const [run] = await runsOf(scheduler, campaign.id);
    expect(run).toMatchObject({ status: 'completed', recipientCount: 2, duplicateCount: 2, invalidCount: 4 });
    expect(run!.invalidSamples).toEqual([
      { index: 3, reason: "'not an email' is not a valid email address" },
      { index: 4, reason: '42 is not an email address or an object with an email' },
      { index: 5, reason: 'has no email' },
      { index: 6, reason: 'has fields that are not JSON-serialisable' },
    ]);
  });

  it('runNow queues a manual run with its own keys and leaves the schedule alone', async () => {
    const { scheduler, transport, clock } = await setupRecurring(backend);
    const seen = capture(scheduler.events);
    const campaign = await scheduler.recurring.create(campaignInput());
    clock.set('2026-03-02T08:10:00Z');
    const first = await scheduler.recurring.runNow(campaign.id);
    const second = await scheduler.recurring.runNow(String(campaign.id));
    expect(first).toMatchObject({ campaignId: campaign.id, kind: 'manual', status: 'pending', attempts: 0 });
    expect(first.scheduledAt.toISOString()).toBe('2026-03-02T08:10:00.000Z');
    expect(second.id).not.toBe(first.id);

    await tickAll(scheduler, at('2026-03-02T08:10:05Z'));
    expect(transport.sentKeys.sort()).toEqual(
      [first.id, second.id].flatMap((id) =>
        ['a@x.org', 'b@x.org'].map((email) => `recurring:${campaign.id}:manual:${id}:${email}`),
      ),
    );
    expect(transport.sent[0]!.message.origin).toMatchObject({
      type: 'recurring',
      manual: true,
      catchUp: false,
      scheduledAt: '2026-03-02T08:10:00.000Z',
      firedAt: '2026-03-02T08:10:05.000Z',
      latenessMs: 5000,
    });
    const after = await scheduler.recurring.get(campaign.id);
    expect(after).toMatchObject({ runCount: 0, nextRunAt: campaign.nextRunAt });
    expect(after.lastRunAt?.toISOString()).toBe('2026-03-02T08:10:05.000Z');
    expect(seen['recurring:completed']?.map((e) => e.kind)).toEqual(['manual', 'manual']);

    // A disabled campaign can still be run by hand.
    await scheduler.recurring.disable(campaign.id);
    const manual = await scheduler.recurring.runNow(campaign.id);
    await tickAll(scheduler, at('2026-03-02T08:20:00Z'));
    expect(transport.sentKeys.filter((k) => k.includes(`:manual:${manual.id}:`))).toHaveLength(2);
  });

  it('retries a failing source with backoff within the occurrence, then queues each message once', async () => {
    let failures = 2;
    const recipientSources: RecipientSources = {
      api: () => {
        if (failures-- > 0) throw new Error('CRM unavailable (503)');
        return ['a@x.org', 'b@x.org'];
      },
    };
    const { scheduler, transport } = await setupRecurring(
      backend,
      { recurring: { sourceRetry: { maxAttempts: 3, baseDelayMs: MINUTE } } },
      { recipientSources },
    );
    const seen = capture(scheduler.events);
    const campaign = await scheduler.recurring.create(
      campaignInput({ recipientSource: 'api', recipientData: null }),
    );

    await tickAll(scheduler, at('2026-03-02T09:00:00Z'));
    let [run] = await runsOf(scheduler, campaign.id);
    expect(run).toMatchObject({
      status: 'retrying',
      attempts: 1,
      error: 'api source: failed: CRM unavailable (503)',
    });
    expect(run!.nextAttemptAt?.toISOString()).toBe('2026-03-02T09:01:00.000Z');
    // The schedule goes on regardless of this run's fate.
    expect((await scheduler.recurring.get(campaign.id)).nextRunAt?.toISOString()).toBe(
      '2026-03-03T09:00:00.000Z',
    );

    await tickAll(scheduler, at('2026-03-02T09:00:59.999Z'));
    expect((await runsOf(scheduler, campaign.id))[0]!.attempts).toBe(1);
    await tickAll(scheduler, at('2026-03-02T09:01:00Z'));
    [run] = await runsOf(scheduler, campaign.id);
    expect(run).toMatchObject({ status: 'retrying', attempts: 2 });
    expect(run!.nextAttemptAt?.toISOString()).toBe('2026-03-02T09:03:00.000Z');
    await tickAll(scheduler, at('2026-03-02T09:03:00Z'));
    [run] = await runsOf(scheduler, campaign.id);
    expect(run).toMatchObject({ status: 'completed', attempts: 3, error: null, recipientCount: 2 });
    expect(transport.sentKeys.sort()).toEqual([
      `recurring:${campaign.id}:2026-03-02T09:00:00.000Z:a@x.org`,
      `recurring:${campaign.id}:2026-03-02T09:00:00.000Z:b@x.org`,
    ]);
    expect(transport.sent[0]!.message.origin).toMatchObject({ latenessMs: 3 * MINUTE, catchUp: false });
    expect(seen['recurring:failed']).toEqual([
      expect.objectContaining({ attempt: 1, willRetry: true, nextAttemptAt: at('2026-03-02T09:01:00Z') }),
      expect.objectContaining({ attempt: 2, willRetry: true, nextAttemptAt: at('2026-03-02T09:03:00Z') }),
    ]);
    expect(seen['recurring:started']?.map((e) => e.attempt)).toEqual([1, 2, 3]);
  });

  it('close({ abortInFlight }) stops a hanging recipient source: the tick ends and the run will be retried', async () => {
    let called!: () => void;
    const sourceCalled = new Promise<void>((resolve) => (called = resolve));
    const sawAbort: boolean[] = [];
    const recipientSources: RecipientSources = {
      // A source that never answers and ignores its signal, as a stuck CRM call might.
      api: (_data, context) => {
        context.signal.addEventListener('abort', () => sawAbort.push(true));
        called();
        return new Promise<never>(() => undefined);
      },
    };
    const { scheduler, another } = await setupRecurring(
      backend,
      { recurring: { sourceTimeoutMs: 600_000, leaseMs: 900_000 } },
      { recipientSources },
    );
    const campaign = await scheduler.recurring.create(
      campaignInput({ recipientSource: 'api', recipientData: null }),
    );
    const tick = scheduler.tick(at('2026-03-02T09:00:00Z'));
    await sourceCalled;
    await scheduler.close({ abortInFlight: true });
    await tick;

    expect(sawAbort).toEqual([true]);
    const { scheduler: reader } = await another({});
    const [run] = await runsOf(reader, campaign.id);
    expect(run).toMatchObject({
      status: 'retrying',
      attempts: 1,
      error: 'api source: stopped: the scheduler is closing',
    });
  });

  it('fails a run for good after the last attempt, with the error, and keeps the schedule', async () => {
    let broken = true;
    const recipientSources: RecipientSources = {
      api: () => {
        if (broken) throw new Error('token expired');
        return ['a@x.org'];
      },
    };
    const { scheduler, transport } = await setupRecurring(
      backend,
      { recurring: { sourceRetry: { maxAttempts: 2, baseDelayMs: 1000 } } },
      { recipientSources },
    );
    const seen = capture(scheduler.events);
    const campaign = await scheduler.recurring.create(campaignInput({ recipientSource: 'api' }));
    await tickAll(scheduler, at('2026-03-02T09:00:00Z'));
    await tickAll(scheduler, at('2026-03-02T09:00:01Z'));
    const [failed] = await runsOf(scheduler, campaign.id);
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: 'api source: failed: token expired',
      nextAttemptAt: null,
    });
    expect(failed!.finishedAt?.toISOString()).toBe('2026-03-02T09:00:01.000Z');
    expect(seen['recurring:failed']?.map((e) => [e.attempt, e.willRetry, e.nextAttemptAt])).toEqual([
      [1, true, at('2026-03-02T09:00:01Z')],
      [2, false, null],
    ]);
    await tickAll(scheduler, at('2026-03-02T10:00:00Z'));
    expect(transport.calls).toHaveLength(0);

    broken = false;
    await tickAll(scheduler, at('2026-03-03T09:00:00Z'));
    expect(transport.sentKeys).toEqual([`recurring:${campaign.id}:2026-03-03T09:00:00.000Z:a@x.org`]);
    expect((await scheduler.recurring.get(campaign.id)).runCount).toBe(2);
  });

  it('fails a run whose source returns more than maxRecipientsPerRun entries, or not a list', async () => {
    const recipientSources: RecipientSources = {
      many: () => Array.from({ length: 6 }, (_, i) => `r${i}@x.org`),
      text: () => 'a@x.org' as never,
    };
    const { scheduler, transport } = await setupRecurring(
      backend,
      { recurring: { maxRecipientsPerRun: 5, sourceRetry: { maxAttempts: 1 } } },
      { recipientSources },
    );
    const many = await scheduler.recurring.create(campaignInput({ recipientSource: 'many' }));
    const text = await scheduler.recurring.create(campaignInput({ recipientSource: 'text' }));
    await tickAll(scheduler, at('2026-03-02T09:00:00Z'));
    expect((await runsOf(scheduler, many.id))[0]).toMatchObject({
      status: 'failed',
      error: 'many source: returned 6 entries, more than maxRecipientsPerRun (5)',
    });
    expect((await runsOf(scheduler, text.id))[0]).toMatchObject({
      status: 'failed',
      error: "text source: returned 'a@x.org', expected a list of recipients",
    });
    expect(transport.calls).toHaveLength(0);
  });

  it('a process dying mid-run loses nothing: another takes the run over after the lease, nothing is queued twice', async () => {
    let release: () => void = () => undefined;
    let calls = 0;
    const recipientSources: RecipientSources = {
      api: async () => {
        calls += 1;
        if (calls === 1) await new Promise<void>((resolve) => (release = resolve));
        return ['a@x.org', 'b@x.org'];
      },
    };
    const options = { recurring: { leaseMs: MINUTE, sourceTimeoutMs: 30_000 } };
    const { scheduler, transport, another } = await setupRecurring(backend, options, { recipientSources });
    const seen = capture(scheduler.events);
    const other = await another();
    const campaign = await scheduler.recurring.create(campaignInput({ recipientSource: 'api' }));

    const stuck = scheduler.tick(at('2026-03-02T09:00:00Z'));
    while (calls === 0) await new Promise((r) => setTimeout(r, 5));
    // The run is leased until 09:01: a second process leaves it alone until then...
    await tickAll(other.scheduler, at('2026-03-02T09:00:59Z'));
    expect(calls).toBe(1);
    // ...and then takes it over, as if the first process had died.
    await tickAll(other.scheduler, at('2026-03-02T09:01:00Z'));
    expect(calls).toBe(2);
    expect(other.transport.sentKeys.sort()).toEqual([
      `recurring:${campaign.id}:2026-03-02T09:00:00.000Z:a@x.org`,
      `recurring:${campaign.id}:2026-03-02T09:00:00.000Z:b@x.org`,
    ]);
    // The first process finally finishes: its lease is gone, so it settles and queues nothing.
    release();
    await stuck;
    await tickAll(scheduler, at('2026-03-02T09:02:00Z'));
    expect(transport.calls).toHaveLength(0);
    const [run] = await runsOf(scheduler, campaign.id);
    expect(run).toMatchObject({
      status: 'completed',
      attempts: 2,
      recipientCount: 2,
      deliveries: { sent: 2 },
    });
    expect(seen['recurring:completed']).toBeUndefined();
    expect(seen['recurring:started']).toHaveLength(1);
  });

  it('disabling or deleting a campaign while its run is resolving queues nothing', async () => {
    const gates: Array<() => void> = [];
    const recipientSources: RecipientSources = {
      api: async () => {
        await new Promise<void>((resolve) => gates.push(resolve));
        return ['a@x.org'];
      },
    };
    const { scheduler, transport } = await setupRecurring(backend, {}, { recipientSources });
    const seen = capture(scheduler.events);
    const disabled = await scheduler.recurring.create(
      campaignInput({ name: 'disabled', recipientSource: 'api' }),
    );
    const deleted = await scheduler.recurring.create(
      campaignInput({ name: 'deleted', recipientSource: 'api' }),
    );

    const tick = scheduler.tick(at('2026-03-02T09:00:00Z'));
    while (gates.length === 0) await new Promise((r) => setTimeout(r, 5));
    await scheduler.recurring.disable(disabled.id);
    gates.shift()!();
    while (gates.length === 0) await new Promise((r) => setTimeout(r, 5));
    await scheduler.recurring.delete(deleted.id);
    gates.shift()!();
    await tick;
    await tickAll(scheduler, at('2026-03-02T09:05:00Z'));

    expect(transport.calls).toHaveLength(0);
    expect((await runsOf(scheduler, disabled.id)).map((r) => [r.status, r.error])).toEqual([
      ['cancelled', 'campaign disabled'],
    ]);
    expect(await scheduler.deliveries.counts({ sourceType: 'recurring' })).toMatchObject({
      pending: 0,
      sent: 0,
    });
    expect(seen['recurring:completed']).toBeUndefined();
  });

  it('maxRuns and endAt disable the campaign when reached', async () => {
    const { scheduler } = await setupRecurring(backend);
    const seen = capture(scheduler.events);
    const counted = await scheduler.recurring.create(campaignInput({ maxRuns: 2 }));
    const ending = await scheduler.recurring.create(campaignInput({ endAt: '2026-03-04T12:00:00Z' }));
    for (let day = 0; day < 5; day++) await tickAll(scheduler, plus(at('2026-03-02T09:00:00Z'), day * DAY));

    expect(await scheduler.recurring.get(counted.id)).toMatchObject({
      enabled: false,
      nextRunAt: null,
      runCount: 2,
      disabledReason: 'maxRuns',
    });
    expect(await scheduler.recurring.get(ending.id)).toMatchObject({
      enabled: false,
      nextRunAt: null,
      runCount: 3,
      disabledReason: 'endAt',
    });
    expect(iso((await runsOf(scheduler, ending.id)).map((r) => r.scheduledAt))).toEqual([
      '2026-03-02T09:00:00.000Z',
      '2026-03-03T09:00:00.000Z',
      '2026-03-04T09:00:00.000Z',
    ]);
    expect(seen['recurring:ended']).toEqual([
      { campaignId: counted.id, reason: 'maxRuns', at: at('2026-03-03T09:00:00Z') },
      { campaignId: ending.id, reason: 'endAt', at: at('2026-03-04T09:00:00Z') },
    ]);
  });

  it('two schedulers ticking at once make one run per occurrence and one message per recipient', async () => {
    const harness = await setupRecurring(backend, { recurring: { maxRunsPerTick: 3 } });
    let pair: Array<{ scheduler: Scheduler; transport: CapturingTransport }>;
    if (backend.name === 'sqlite') {
      // One process must share one SQLite store between its schedulers: better-sqlite3 waits for
      // another connection's write lock synchronously, which would stall the event loop that
      // the lock holder needs. (Separate processes use separate stores; see processes.test.ts.)
      const store = harness.database.openStore();
      pair = [new CapturingTransport(), new CapturingTransport()].map((transport) => ({
        transport,
        scheduler: createScheduler({
          store,
          transport,
          options: { clock: harness.clock.now, recurring: { maxRunsPerTick: 3 } },
        }),
      }));
    } else {
      pair = [harness, await harness.another()];
    }
    const [{ scheduler, transport }, other] = pair as [(typeof pair)[0], (typeof pair)[0]];
    const ids: number[] = [];
    for (let c = 0; c < 6; c++) {
      const recipients = Array.from({ length: 15 }, (_, i) => `c${c}-r${i}@x.org`);
      ids.push(
        (await scheduler.recurring.create(campaignInput({ name: `c${c}`, recipientData: recipients }))).id,
      );
    }
    for (const instant of ['2026-03-02T09:00:00Z', '2026-03-02T09:00:00.500Z', '2026-03-03T09:00:00Z']) {
      await Promise.all([tickAll(scheduler, at(instant)), tickAll(other.scheduler, at(instant))]);
    }
    const keys = [...transport.sentKeys, ...other.transport.sentKeys];
    expect(keys).toHaveLength(6 * 15 * 2);
    expect(new Set(keys).size).toBe(keys.length);
    for (const id of ids) {
      const runs = await runsOf(scheduler, id);
      expect(iso(runs.map((r) => r.scheduledAt))).toEqual([
        '2026-03-02T09:00:00.000Z',
        '2026-03-03T09:00:00.000Z',
      ]);
      expect(runs.map((r) => [r.status, r.attempts, r.recipientCount])).toEqual([
        ['completed', 1, 15],
        ['completed', 1, 15],
      ]);
    }
  });

  it('does a bounded amount of work per tick and reports that more is due', async () => {
    const { scheduler, transport } = await setupRecurring(backend, { recurring: { maxRunsPerTick: 2 } });
    for (let c = 0; c < 5; c++)
      await scheduler.recurring.create(campaignInput({ name: `c${c}`, recipientData: [`r${c}@x.org`] }));
    const first = await scheduler.tick(at('2026-03-02T09:00:00Z'));
    expect(first.phases.recurring).toMatchObject({ occurrences: 2, completed: 2, moreDue: true });
    expect(first.moreDue).toBe(true);
    await tickAll(scheduler, at('2026-03-02T09:00:00Z'));
    expect(transport.sent).toHaveLength(5);
    const idle = await scheduler.tick(at('2026-03-02T09:00:00Z'));
    expect(idle.phases.recurring).toMatchObject({ processed: 0, occurrences: 0, moreDue: false });
  });

  it('follows an edited cron or zone of a live campaign from the edit on', async () => {
    const { scheduler, transport, clock } = await setupRecurring(backend);
    const campaign = await scheduler.recurring.create(campaignInput({ recipientData: ['a@x.org'] }));
    await tickAll(scheduler, at('2026-03-02T09:00:00Z'));
    clock.set('2026-03-02T10:00:00Z');
    await scheduler.recurring.update(campaign.id, { timezone: 'Asia/Tokyo' }); // 09:00 JST = 00:00Z
    await tickAll(scheduler, at('2026-03-03T00:00:00Z'));
    clock.set('2026-03-03T01:00:00Z');
    await scheduler.recurring.update(campaign.id, { scheduleCron: '30 18 * * *' }); // 18:30 JST = 09:30Z
    await tickAll(scheduler, at('2026-03-03T09:00:00Z'));
    await tickAll(scheduler, at('2026-03-03T09:30:00Z'));
    expect(transport.sentKeys).toEqual([
      `recurring:${campaign.id}:2026-03-02T09:00:00.000Z:a@x.org`,
      `recurring:${campaign.id}:2026-03-03T00:00:00.000Z:a@x.org`,
      `recurring:${campaign.id}:2026-03-03T09:30:00.000Z:a@x.org`,
    ]);
  });

  it('the url source: runs a campaign from an allowed origin; refuses a forbidden one at create and at run time', async () => {
    const { origin, hits } = server;
    const options = {
      recurring: { url: { allowedOrigins: [origin], timeoutMs: 5000 }, sourceRetry: { maxAttempts: 2 } },
    };
    const { scheduler, transport, another } = await setupRecurring(backend, options);
    await expectValidationError(
      scheduler.recurring.create(
        campaignInput({ recipientSource: 'url', recipientData: 'http://localhost:1/list' }),
      ),
      ['recipientData'],
    );
    const campaign = await scheduler.recurring.create(
      campaignInput({ recipientSource: 'url', recipientData: { url: `${origin}/list` } }),
    );
    await tickAll(scheduler, at('2026-03-02T09:00:00Z'));
    expect((await runsOf(scheduler, campaign.id))[0]).toMatchObject({ status: 'completed', error: null });
    expect(transport.sentKeys.sort()).toEqual([
      `recurring:${campaign.id}:2026-03-02T09:00:00.000Z:a@x.org`,
      `recurring:${campaign.id}:2026-03-02T09:00:00.000Z:b@x.org`,
    ]);

    // A process whose host no longer allows the origin refuses to fetch it at run time.
    const locked = await another({ recurring: { sourceRetry: { maxAttempts: 2 } } });
    const before = hits.length;
    await tickAll(locked.scheduler, at('2026-03-03T09:00:00Z'));
    const [, run] = await runsOf(scheduler, campaign.id);
    expect(run).toMatchObject({ status: 'retrying', attempts: 1, recipientCount: 0 });
    expect(run!.error).toMatch(/^url source: url: the url recipient source is off/);
    expect(hits.length).toBe(before);
    await expect(locked.scheduler.recurring.runNow(campaign.id)).rejects.toBeInstanceOf(ConflictError);
    expect(locked.transport.calls).toHaveLength(0);
  });
}
