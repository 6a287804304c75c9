import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/index.js';
import { backends } from '../support/backends.js';
import { setup } from '../support/harness.js';
import { at, DAY, HOUR, plus, recordEvents, step, T0, tickEvery } from './helpers.js';

describe.each(backends)('pause, resume, cancel, complete on $name', (backend) => {
  it('pause, cancel and complete stop a step that a tick already claimed and queued', async () => {
    const { scheduler, transport, another } = await setup(backend);
    const events = recordEvents(scheduler);
    const seq = await scheduler.sequences.create({ name: 'P', steps: [step('one'), step('two', 1)] });
    const ids: number[] = [];
    for (const email of ['p@x.org', 'c@x.org', 'd@x.org', 'keep@x.org']) {
      ids.push((await scheduler.sequences.enrollRecipient(seq.id, email)).enrollment.id);
    }
    // Another process's tick claimed all four and put their first step into the outbox.
    const other = await another();
    expect(await other.scheduler.sequences.processSequenceSteps(T0)).toMatchObject({ queued: 4 });

    const paused = await scheduler.sequences.pauseEnrollment(ids[0]!);
    const cancelled = await scheduler.sequences.cancelEnrollment(ids[1]!, 'unsubscribed');
    const completed = await scheduler.sequences.completeEnrollment(ids[2]!);
    expect(paused).toMatchObject({ status: 'paused', nextSendAt: null });
    expect(paused.pausedAt?.toISOString()).toBe(T0.toISOString());
    expect(cancelled).toMatchObject({ status: 'cancelled', statusReason: 'unsubscribed' });
    expect(completed).toMatchObject({ status: 'completed', currentStep: 0 });

    await other.scheduler.tick(T0);
    await tickEvery(scheduler, T0, plus(T0, 3 * DAY), 6 * HOUR);
    expect([...transport.sent, ...other.transport.sent].map((s) => s.message.to)).toEqual([
      'keep@x.org',
      'keep@x.org',
    ]);
    for (const id of ids.slice(0, 3)) {
      expect(await scheduler.deliveries.get(`sequence:${id}:step:${seq.steps[0]!.id}`)).toMatchObject({
        status: 'cancelled',
      });
    }
    expect(events.of('sequence:cancelled')).toEqual([
      expect.objectContaining({ enrollmentId: ids[1], reason: 'unsubscribed' }),
    ]);
    expect(events.of('sequence:completed')).toEqual(
      expect.arrayContaining([expect.objectContaining({ enrollmentId: ids[2], manual: true })]),
    );
    expect(events.of('sequence:paused')).toHaveLength(1);
  });

  it('resume after a long pause sends the overdue step at its next send time, then spaces the rest', async () => {
    const { scheduler, transport, clock } = await setup(backend);
    const seq = await scheduler.sequences.create({
      name: 'Long pause',
      timezone: 'Europe/Berlin',
      steps: [step('one'), step('two', 1, 0, '09:00'), step('three', 1, 0, '09:00'), step('four', 0, 5)],
    });
    const { enrollment } = await scheduler.sequences.enrollRecipient(seq.id, 'l@x.org');
    await scheduler.tick(T0); // one at 09:00 Berlin
    clock.set(at('2026-03-02T12:00:00Z'));
    await scheduler.sequences.pauseEnrollment(enrollment.id);
    await tickEvery(scheduler, at('2026-03-02T12:00:00Z'), at('2026-03-10T12:00:00Z'), 6 * HOUR);
    expect(transport.sent).toHaveLength(1);

    clock.set(at('2026-03-10T12:00:00Z')); // 13:00 in Berlin: today's 09:00 has passed
    const resumed = await scheduler.sequences.resumeEnrollment(enrollment.id);
    expect(resumed.status).toBe('active');
    expect(resumed.nextSendAt?.toISOString()).toBe('2026-03-11T08:00:00.000Z');
    await tickEvery(scheduler, at('2026-03-10T12:00:00Z'), at('2026-03-11T07:30:00Z'), 30 * 60_000);
    expect(transport.sent).toHaveLength(1);
    await tickEvery(scheduler, at('2026-03-11T08:00:00Z'), at('2026-03-13T12:00:00Z'), 30 * 60_000);
    expect(transport.sent.map((s) => s.message.subject)).toEqual(['one', 'two', 'three', 'four']);
    const deliveries = await Promise.all(
      transport.sent.map((s) => scheduler.deliveries.get(s.idempotencyKey)),
    );
    expect(deliveries.map((d) => d?.sentAt?.toISOString())).toEqual([
      '2026-03-02T08:00:00.000Z',
      '2026-03-11T08:00:00.000Z',
      '2026-03-12T08:00:00.000Z',
      '2026-03-12T13:00:00.000Z',
    ]);
  });

  it('resume of a step without a send time goes at once, one step only', async () => {
    const { scheduler, transport, clock } = await setup(backend);
    const seq = await scheduler.sequences.create({
      name: 'N',
      steps: [step('one', 0, 1), step('two', 0, 1)],
    });
    const { enrollment } = await scheduler.sequences.enrollRecipient(seq.id, 'n@x.org');
    await scheduler.sequences.pauseEnrollment(enrollment.id);
    await tickEvery(scheduler, T0, plus(T0, 2 * DAY), 3 * HOUR);
    const resumeAt = clock.set(plus(T0, 2 * DAY + 60_000));
    expect((await scheduler.sequences.resumeEnrollment(enrollment.id)).nextSendAt?.toISOString()).toBe(
      resumeAt.toISOString(),
    );
    await tickEvery(scheduler, resumeAt, plus(resumeAt, 50 * 60_000), 10 * 60_000);
    expect(transport.sent.map((s) => s.message.subject)).toEqual(['one']);
    await scheduler.tick(plus(resumeAt, HOUR));
    expect(transport.sent.map((s) => s.message.subject)).toEqual(['one', 'two']);
  });

  it('pausing while a tick runs: no send starts after pauseEnrollment returns', async () => {
    const { scheduler, transport, another } = await setup(backend, { delivery: { concurrency: 2 } });
    const seq = await scheduler.sequences.create({ name: 'Race', steps: [step('one'), step('two', 0, 1)] });
    const result = await scheduler.sequences.enrollRecipients(
      seq.id,
      Array.from({ length: 24 }, (_, i) => ({ email: `r${i}@x.org` })),
    );
    expect(result.enrolled).toBe(24);
    const list = await scheduler.sequences.listEnrollments(seq.id, { limit: 100 });
    const started = new Map<string, number>();
    const original = transport.send.bind(transport);
    transport.send = async (message, ctx) => {
      started.set(message.to, performance.now());
      await new Promise((r) => setTimeout(r, 3));
      return original(message, ctx);
    };
    const other = await another();
    const pausedAt = new Map<string, number>();
    const ticking = scheduler.tick(T0);
    await Promise.all(
      list.items
        .filter((_, i) => i % 2 === 0)
        .map(async (e, i) => {
          await new Promise((r) => setTimeout(r, i * 2));
          await other.scheduler.sequences.pauseEnrollment(e.id);
          pausedAt.set(e.recipientEmail, performance.now());
        }),
    );
    await ticking;
    await tickEvery(scheduler, T0, plus(T0, 3 * HOUR), HOUR);
    for (const [email, when] of pausedAt) {
      const start = started.get(email);
      if (start !== undefined) expect(start).toBeLessThan(when);
    }
    const sentTo = transport.sent.map((s) => s.message.to);
    for (const e of list.items) {
      const count = sentTo.filter((to) => to === e.recipientEmail).length;
      expect(count).toBe(pausedAt.has(e.recipientEmail) ? (started.has(e.recipientEmail) ? 1 : 0) : 2);
    }
    // A send that was already in flight still records its progress on the paused enrollment.
    for (const e of (await scheduler.sequences.listEnrollments(seq.id, { status: 'paused', limit: 100 }))
      .items) {
      expect(e.currentStep).toBe(started.has(e.recipientEmail) ? 1 : 0);
    }
  });

  it('disabling a sequence holds its enrollments at once; enabling releases them by the resume rule', async () => {
    const { scheduler, transport, clock } = await setup(backend);
    const seq = await scheduler.sequences.create({
      name: 'Hold',
      steps: [step('one'), step('two', 1, 0, '10:00'), step('three', 1)],
    });
    const a = (await scheduler.sequences.enrollRecipient(seq.id, 'a@x.org')).enrollment;
    await scheduler.tick(T0);
    const b = (await scheduler.sequences.enrollRecipient(seq.id, 'b@x.org')).enrollment;
    await scheduler.sequences.processSequenceSteps(T0); // b's first step is queued, not yet sent
    const disabled = await scheduler.sequences.update(seq.id, { enabled: false });
    expect(disabled.enabled).toBe(false);
    expect(await scheduler.deliveries.get(`sequence:${b.id}:step:${seq.steps[0]!.id}`)).toMatchObject({
      status: 'cancelled',
    });
    for (const id of [a.id, b.id]) {
      expect(await scheduler.sequences.getEnrollment(id)).toMatchObject({
        status: 'active',
        nextSendAt: null,
      });
    }
    const late = (await scheduler.sequences.enrollRecipient(seq.id, 'late@x.org')).enrollment;
    expect(late.nextSendAt).toBeNull();
    await tickEvery(scheduler, T0, plus(T0, 5 * DAY), 6 * HOUR);
    expect(transport.sent.map((s) => s.message.to)).toEqual(['a@x.org']);

    const enableAt = clock.set(at('2026-03-07T12:00:00Z'));
    await scheduler.sequences.update(seq.id, { enabled: true });
    await tickEvery(scheduler, enableAt, at('2026-03-09T10:00:00Z'), 30 * 60_000);
    const sent = await Promise.all(transport.sent.map((s) => scheduler.deliveries.get(s.idempotencyKey)));
    const rows = sent
      .map((d) => `${d?.sentAt?.toISOString()} ${d?.recipientEmail} ${d?.message.subject}`)
      .sort();
    expect(rows).toEqual([
      '2026-03-02T08:00:00.000Z a@x.org one',
      // Released overdue steps: without a send time they go at the release...
      '2026-03-07T12:00:00.000Z b@x.org one',
      '2026-03-07T12:00:00.000Z late@x.org one',
      // ...with one, at its next occurrence (a's "two" was due on 03-03 at 10:00).
      '2026-03-08T10:00:00.000Z a@x.org two',
      // Then each counts from its actual send: one day after 03-07 12:00 is past 10:00, so 03-09.
      '2026-03-09T10:00:00.000Z a@x.org three',
      '2026-03-09T10:00:00.000Z b@x.org two',
      '2026-03-09T10:00:00.000Z late@x.org two',
    ]);
  });

  it('answers bad calls with clear errors and writes nothing', async () => {
    const { scheduler } = await setup(backend);
    const events = recordEvents(scheduler);
    const seq = await scheduler.sequences.create({ name: 'E', steps: [step('one')] });
    const { enrollment } = await scheduler.sequences.enrollRecipient(seq.id, 'e@x.org');
    await expect(scheduler.sequences.pauseEnrollment('abc')).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [{ path: 'id', message: expect.stringMatching(/positive integer/) }],
    });
    await expect(scheduler.sequences.pauseEnrollment(-3)).rejects.toBeInstanceOf(ValidationError);
    await expect(scheduler.sequences.pauseEnrollment(999_999)).rejects.toBeInstanceOf(NotFoundError);
    await expect(scheduler.sequences.getEnrollment(999_999)).rejects.toMatchObject({ entity: 'enrollment' });

    expect((await scheduler.sequences.pauseEnrollment(String(enrollment.id))).status).toBe('paused');
    expect((await scheduler.sequences.pauseEnrollment(enrollment.id)).status).toBe('paused'); // idempotent
    expect((await scheduler.sequences.completeEnrollment(enrollment.id)).status).toBe('completed');
    await expect(scheduler.sequences.pauseEnrollment(enrollment.id)).rejects.toBeInstanceOf(ConflictError);
    await expect(scheduler.sequences.resumeEnrollment(enrollment.id)).rejects.toBeInstanceOf(ConflictError);
    await expect(scheduler.sequences.cancelEnrollment(enrollment.id)).rejects.toThrow(/is completed/);
    expect(await scheduler.sequences.getEnrollment(enrollment.id)).toMatchObject({ status: 'completed' });

    // The HTTP entry point checks that the enrollment belongs to the sequence.
    const other = await scheduler.sequences.create({ name: 'Other', steps: [step('x')] });
    await expect(
      scheduler.sequences.updateEnrollment(other.id, enrollment.id, { action: 'cancel' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      scheduler.sequences.updateEnrollment(seq.id, enrollment.id, { action: 'explode' as 'pause' }),
    ).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'action' })] });
    const second = (await scheduler.sequences.enrollRecipient(seq.id, 'f@x.org')).enrollment;
    expect(
      await scheduler.sequences.updateEnrollment(String(seq.id), String(second.id), {
        action: 'cancel',
        reason: 'bounced',
      }),
    ).toMatchObject({ status: 'cancelled', statusReason: 'bounced' });
    expect(events.types().filter((t) => t !== 'sequence:enrolled')).toEqual([
      'sequence:paused',
      'sequence:completed',
      'sequence:cancelled',
    ]);
  });
});
