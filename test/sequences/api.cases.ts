import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/index.js';
import { calculateStepSendTime } from '../../src/time/index.js';
import { backends } from '../support/backends.js';
import { setup } from '../support/harness.js';
import { recordEvents, step, T0 } from './helpers.js';

describe.each(backends)('sequences API on $name', (backend) => {
  it('creates, reads, lists, updates and deletes sequences with their steps', async () => {
    const { scheduler } = await setup(backend);
    const created = await scheduler.sequences.create({
      name: '  Onboarding ',
      description: 'new users',
      timezone: 'Europe/Berlin',
      steps: [step('Hello'), { subject: 'Tips', delayDays: 2, sendTime: '09:00' }],
    });
    expect(created).toMatchObject({
      name: 'Onboarding',
      description: 'new users',
      enabled: true,
      timezone: 'Europe/Berlin',
      onStepFailure: 'stop',
      enrollmentCounts: { active: 0, paused: 0, completed: 0, cancelled: 0, failed: 0, total: 0 },
    });
    expect(created.createdAt.toISOString()).toBe(T0.toISOString());
    expect(
      created.steps.map(({ stepOrder, subject, delayDays, delayHours, sendTime, templateId }) => ({
        stepOrder,
        subject,
        delayDays,
        delayHours,
        sendTime,
        templateId,
      })),
    ).toEqual([
      { stepOrder: 1, subject: 'Hello', delayDays: 0, delayHours: 0, sendTime: null, templateId: 7 },
      { stepOrder: 2, subject: 'Tips', delayDays: 2, delayHours: 0, sendTime: '09:00', templateId: null },
    ]);
    const second = await scheduler.sequences.create({ name: 'Second', enabled: false });
    expect(await scheduler.sequences.list({ limit: 1 })).toMatchObject({
      total: 2,
      limit: 1,
      offset: 0,
      items: [{ name: 'Onboarding' }],
    });
    expect(
      (await scheduler.sequences.list({ offset: '1' as unknown as number })).items.map((s) => s.name),
    ).toEqual(['Second']);
    expect((await scheduler.sequences.list({ enabled: false })).items.map((s) => s.id)).toEqual([second.id]);

    const updated = await scheduler.sequences.update(String(created.id), {
      name: 'Renamed',
      onStepFailure: 'skip',
    });
    expect(updated).toMatchObject({ name: 'Renamed', onStepFailure: 'skip', timezone: 'Europe/Berlin' });
    const added = await scheduler.sequences.addStep(created.id, {
      subject: 'Middle',
      stepOrder: 2,
      delayHours: 3,
    });
    expect(added).toMatchObject({ stepOrder: 2, subject: 'Middle', delayHours: 3 });
    expect((await scheduler.sequences.get(created.id)).steps.map((s) => s.subject)).toEqual([
      'Hello',
      'Middle',
      'Tips',
    ]);

    await scheduler.sequences.enrollRecipient(created.id, 'a@x.org');
    await scheduler.sequences.delete(created.id);
    await expect(scheduler.sequences.get(created.id)).rejects.toMatchObject({
      name: 'NotFoundError',
      entity: 'sequence',
    });
    expect(await scheduler.sequences.list()).toMatchObject({ total: 1 });
    expect(await backendCount(scheduler, created.id)).toBe(0);
  });

  it('rejects bad input naming each field, and writes nothing', async () => {
    const { scheduler } = await setup(backend);
    const issues = async (p: Promise<unknown>) => {
      const error = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).issues.map((i) => i.path);
    };
    expect(
      await issues(
        scheduler.sequences.create({
          name: '',
          timezone: 'Europe/Berln',
          onStepFailure: 'retry' as 'stop',
          steps: [
            { subject: 'x', delayDays: -1, sendTime: '9:00' },
            { subject: '', stepOrder: 5 },
          ],
        }),
      ),
    ).toEqual(
      expect.arrayContaining([
        'name',
        'timezone',
        'onStepFailure',
        'steps.0.delayDays',
        'steps.0.sendTime',
        'steps.1.subject',
      ]),
    );
    expect(
      await issues(
        scheduler.sequences.create({ name: 'x', steps: [step('a'), { ...step('b'), stepOrder: 3 }] }),
      ),
    ).toEqual(['steps.1.stepOrder']);
    const tz = await scheduler.sequences
      .create({ name: 'x', timezone: 'Europe/Berln' })
      .catch((e: ValidationError) => e);
    expect((tz as ValidationError).issues[0]!.message).toMatch(/did you mean 'Europe\/Berlin'/);
    expect(await issues(scheduler.sequences.create({ name: 'x', extra: 1 } as never))).toEqual(['']);
    expect(await scheduler.sequences.list()).toMatchObject({ total: 0 });

    const seq = await scheduler.sequences.create({ name: 'ok', steps: [step('a')] });
    expect(await issues(scheduler.sequences.get('1.5'))).toEqual(['id']);
    expect(await issues(scheduler.sequences.get({} as never))).toEqual(['id']);
    expect(await issues(scheduler.sequences.addStep(seq.id, { subject: 'b', stepOrder: 3 }))).toEqual([
      'stepOrder',
    ]);
    expect(await issues(scheduler.sequences.addStep(seq.id, { subject: 'b', delayHours: 1.5 }))).toEqual([
      'delayHours',
    ]);
    expect(await issues(scheduler.sequences.deleteStep(seq.id, 'x'))).toEqual(['stepId']);
    expect(await issues(scheduler.sequences.update(seq.id, { enabled: 'yes' as never }))).toEqual([
      'enabled',
    ]);
    expect(await issues(scheduler.sequences.listEnrollments(seq.id, { limit: 501 }))).toEqual(['limit']);
    expect(await issues(scheduler.sequences.listEnrollments(seq.id, { status: 'gone' as 'active' }))).toEqual(
      ['status'],
    );
    await expect(scheduler.sequences.update(999, { name: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    expect((await scheduler.sequences.get(seq.id)).steps).toHaveLength(1);

    const empty = await scheduler.sequences.create({ name: 'empty' });
    await expect(scheduler.sequences.enrollRecipient(empty.id, 'a@x.org')).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('enrolls idempotently per normalised address, with the zone from the data, else the sequence, else UTC', async () => {
    const { scheduler, clock } = await setup(backend);
    const events = recordEvents(scheduler);
    const seq = await scheduler.sequences.create({
      name: 'Zones',
      timezone: 'America/New_York',
      steps: [step('first', 1, 0, '09:00')],
    });
    const utc = await scheduler.sequences.create({ name: 'Utc', steps: [step('first', 1, 0, '09:00')] });
    clock.set('2026-03-07T15:00:00Z');
    const now = clock.now();
    const first = (d: Date, zone: string) =>
      calculateStepSendTime({
        base: d,
        timezone: zone,
        delayDays: 1,
        delayHours: 0,
        sendTime: '09:00',
      }).toISOString();

    const own = await scheduler.sequences.enrollRecipient(seq.id, 'Kim@X.org', {
      timezone: 'Asia/Tokyo',
      name: 'Kim',
    });
    expect(own.enrollment).toMatchObject({
      recipientEmail: 'kim@x.org',
      timezone: 'Asia/Tokyo',
      recipientData: { timezone: 'Asia/Tokyo', name: 'Kim' },
    });
    expect(own.enrollment.nextSendAt?.toISOString()).toBe(first(now, 'Asia/Tokyo'));
    const inherited = await scheduler.sequences.enrollRecipient(seq.id, 'lee@x.org');
    expect(inherited.enrollment.timezone).toBe('America/New_York');
    // 10:00 EST on 03-07; a day later is past 09:00 (now EDT), so 09:00 EDT on 03-09: 13:00Z, not 14:00Z.
    expect(inherited.enrollment.nextSendAt?.toISOString()).toBe('2026-03-09T13:00:00.000Z');
    expect(inherited.enrollment.nextSendAt?.toISOString()).toBe(first(now, 'America/New_York'));
    expect(
      (await scheduler.sequences.enrollRecipient(utc.id, 'u@x.org')).enrollment.nextSendAt?.toISOString(),
    ).toBe('2026-03-09T09:00:00.000Z');

    const again = await scheduler.sequences.enrollRecipient(seq.id, '  KIM@x.ORG ', {
      timezone: 'Europe/Paris',
    });
    expect(again).toMatchObject({
      created: false,
      enrollment: { id: own.enrollment.id, timezone: 'Asia/Tokyo' },
    });
    expect(events.of('sequence:enrolled')).toHaveLength(3);

    const bad = await scheduler.sequences
      .enrollRecipient(seq.id, 'x@x.org', { timezone: 'Mars/Olympus' })
      .catch((e: ValidationError) => e);
    expect((bad as ValidationError).issues).toEqual([
      { path: 'data.timezone', message: expect.stringMatching(/unknown timezone 'Mars\/Olympus'/) },
    ]);
    await expect(scheduler.sequences.enrollRecipient(seq.id, 'not-an-email')).rejects.toMatchObject({
      issues: [expect.objectContaining({ path: 'email' })],
    });
    await expect(scheduler.sequences.enrollRecipient(424242, 'a@x.org')).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect((await scheduler.sequences.listEnrollments(seq.id)).total).toBe(2);
  });

  it('enrolls 10,000 recipients in one call, reporting the already enrolled and the invalid', async () => {
    const { scheduler } = await setup(backend);
    const seq = await scheduler.sequences.create({
      name: 'Bulk',
      timezone: 'Europe/Berlin',
      steps: [step('first', 0, 0, '10:00')],
    });
    await scheduler.sequences.enrollRecipient(seq.id, 'user5@x.org');
    const zones = ['America/New_York', 'Asia/Kolkata', undefined];
    const recipients: unknown[] = Array.from({ length: 10_000 }, (_, i) => {
      const timezone = zones[i % 3];
      return i % 2 === 0
        ? { email: `User${i}@X.org`, data: { n: i, ...(timezone ? { timezone } : {}) } }
        : { email: `user${i}@x.org`, n: i, ...(timezone ? { timezone } : {}) };
    });
    recipients[10] = { email: 'broken' };
    recipients[20] = { email: 'tz@x.org', data: { timezone: 'Nowhere/City' } };
    recipients[30] = 'just a string';
    recipients[40] = { email: 'USER41@x.org' }; // the same address as item 41
    const started = performance.now();
    const result = await scheduler.sequences.enrollRecipients(seq.id, recipients);
    const elapsed = performance.now() - started;
    expect(result.enrolled).toBe(9_995);
    expect(result.alreadyEnrolled).toBe(2); // user5 (enrolled before) and user41 (twice in the call)
    expect(result.invalid).toEqual([
      { index: 10, email: 'broken', reason: expect.stringMatching(/^email: /) },
      {
        index: 20,
        email: 'tz@x.org',
        reason: expect.stringMatching(/^data\.timezone: unknown timezone 'Nowhere\/City'/),
      },
      { index: 30, email: '', reason: expect.any(String) },
    ]);
    expect(elapsed).toBeLessThan(20_000);

    const view = await scheduler.sequences.get(seq.id);
    expect(view.enrollmentCounts).toMatchObject({ active: 9_996, total: 9_996 });
    const page = await scheduler.sequences.listEnrollments(seq.id, { limit: 3, offset: 1 });
    expect(page).toMatchObject({ total: 9_996, limit: 3, offset: 1 });
    expect(page.items.map((e) => e.recipientEmail)).toEqual(['user0@x.org', 'user1@x.org', 'user2@x.org']);
    expect(page.items.map((e) => e.timezone)).toEqual(['America/New_York', 'Asia/Kolkata', 'Europe/Berlin']);
    expect(page.items[0]!.recipientData).toEqual({ n: 0, timezone: 'America/New_York' });
    expect(page.items[1]!.recipientData).toEqual({ n: 1, timezone: 'Asia/Kolkata' });
    for (const e of page.items) {
      expect(e.nextSendAt?.toISOString()).toBe(
        calculateStepSendTime({
          base: T0,
          timezone: e.timezone,
          delayDays: 0,
          delayHours: 0,
          sendTime: '10:00',
        }).toISOString(),
      );
    }
    const byEmail = await scheduler.sequences.listEnrollments(seq.id, { email: ' USER9999@x.org' });
    expect(byEmail.items.map((e) => e.recipientEmail)).toEqual(['user9999@x.org']);

    const rerun = await scheduler.sequences.enrollRecipients(seq.id, recipients);
    expect(rerun).toMatchObject({ enrolled: 0, alreadyEnrolled: 9_997 });
    await expect(
      scheduler.sequences.enrollRecipients(
        seq.id,
        Array.from({ length: 10_001 }, (_, i) => ({ email: `m${i}@x.org` })),
      ),
    ).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'recipients' })] });

    // One tick queues a bounded number and says more is due.
    const first = await scheduler.sequences.processSequenceSteps(new Date('2026-03-02T15:00:00Z'));
    expect(first).toMatchObject({ processed: 1000, moreDue: true });
    expect(await scheduler.sequences.listEnrollments(seq.id, { status: 'paused' })).toMatchObject({
      total: 0,
    });
  });
});

async function backendCount(
  scheduler: { sequences: { list(): Promise<{ items: Array<{ id: number }> }> } },
  id: number,
) {
  return (await scheduler.sequences.list()).items.filter((s) => s.id === id).length;
}
