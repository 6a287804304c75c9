import { describe, expect, it } from 'vitest';
import { calculateStepSendTime } from '../../src/time/index.js';
import { backends } from '../support/backends.js';
import { setup } from '../support/harness.js';
import { at, DAY, HOUR, plus, recordEvents, step, T0, tickEvery } from './helpers.js';

describe.each(backends)('sequence steps on $name', (backend) => {
  it('queues each due step once under its key, advances on send from the actual send instant, then completes', async () => {
    const { scheduler, transport } = await setup(backend);
    const events = recordEvents(scheduler);
    const seq = await scheduler.sequences.create({
      name: 'Welcome',
      steps: [step('one'), step('two', 1, 0, '09:30'), step('three', 0, 2)],
    });
    const [s1, s2, s3] = seq.steps;
    const { enrollment, created } = await scheduler.sequences.enrollRecipient(seq.id, ' Ann@Example.ORG ', {
      name: 'Ann',
    });
    expect(created).toBe(true);
    expect(enrollment).toMatchObject({ recipientEmail: 'ann@example.org', status: 'active', currentStep: 0 });
    expect(enrollment.nextSendAt?.toISOString()).toBe(T0.toISOString());
    const key1 = `sequence:${enrollment.id}:step:${s1!.id}`;

    const first = await scheduler.sequences.processSequenceSteps(T0);
    expect(first).toMatchObject({ processed: 1, queued: 1, moreDue: false });
    expect(await scheduler.deliveries.get(key1)).toMatchObject({ status: 'pending', sourceType: 'sequence' });
    expect(await scheduler.sequences.getEnrollment(enrollment.id)).toMatchObject({
      pendingStepId: s1!.id,
      nextSendAt: null,
    });
    // Claimed: a second pass (or another ticker) finds nothing to do.
    expect(await scheduler.sequences.processSequenceSteps(T0)).toMatchObject({ processed: 0, queued: 0 });

    const sentAt = plus(T0, 5 * 60_000);
    await scheduler.tick(sentAt);
    expect(transport.calls).toHaveLength(1);
    expect(transport.calls[0]).toMatchObject({ idempotencyKey: key1, attempt: 1 });
    expect(transport.calls[0]!.message).toEqual({
      to: 'ann@example.org',
      cc: [],
      bcc: [],
      subject: 'one',
      templateId: 7,
      recipient: { name: 'Ann', email: 'ann@example.org', timezone: 'UTC' },
      origin: {
        type: 'sequence',
        sequenceId: seq.id,
        enrollmentId: enrollment.id,
        stepId: s1!.id,
        stepOrder: 1,
      },
    });
    const afterFirst = await scheduler.sequences.getEnrollment(enrollment.id);
    // The next step counts from the actual send (08:05), not from the due time (08:00).
    const expectedSecond = calculateStepSendTime({
      base: sentAt,
      timezone: 'UTC',
      delayDays: 1,
      delayHours: 0,
      sendTime: '09:30',
    });
    expect(expectedSecond.toISOString()).toBe('2026-03-03T09:30:00.000Z');
    expect(afterFirst).toMatchObject({
      currentStep: 1,
      lastStepId: s1!.id,
      pendingStepId: null,
      status: 'active',
    });
    expect(afterFirst.lastStepAt?.toISOString()).toBe(sentAt.toISOString());
    expect(afterFirst.nextSendAt?.toISOString()).toBe(expectedSecond.toISOString());

    await scheduler.tick(at('2026-03-03T09:29:00Z'));
    expect(transport.calls).toHaveLength(1);
    await scheduler.tick(at('2026-03-03T09:30:00Z'));
    expect(transport.sentKeys).toEqual([key1, `sequence:${enrollment.id}:step:${s2!.id}`]);
    expect((await scheduler.sequences.getEnrollment(enrollment.id)).nextSendAt?.toISOString()).toBe(
      '2026-03-03T11:30:00.000Z',
    );
    await scheduler.tick(at('2026-03-03T11:29:59Z'));
    await scheduler.tick(at('2026-03-03T11:30:00Z'));
    const done = await scheduler.sequences.getEnrollment(enrollment.id);
    expect(done).toMatchObject({ status: 'completed', currentStep: 3, lastStepId: s3!.id, nextSendAt: null });
    expect(done.completedAt?.toISOString()).toBe('2026-03-03T11:30:00.000Z');

    await tickEvery(scheduler, at('2026-03-03T12:00:00Z'), at('2026-03-06T12:00:00Z'), 12 * HOUR);
    expect(transport.sent.map((s) => s.message.subject)).toEqual(['one', 'two', 'three']);
    expect(events.types()).toEqual([
      'sequence:enrolled',
      'sequence:step-queued',
      'sequence:step-sent',
      'sequence:step-queued',
      'sequence:step-sent',
      'sequence:step-queued',
      'sequence:step-sent',
      'sequence:completed',
    ]);
    expect(events.of('sequence:step-sent')[0]).toMatchObject({
      enrollmentId: enrollment.id,
      stepId: s1!.id,
      stepOrder: 1,
      email: 'ann@example.org',
    });
    expect(events.of('sequence:step-sent')[0]!.nextSendAt?.toISOString()).toBe('2026-03-03T09:30:00.000Z');
    expect(events.of('sequence:step-sent')[2]!.nextSendAt).toBeNull();
    expect(events.of('sequence:completed')[0]).toMatchObject({ manual: false });
  });

  it('keeps an enrollment waiting while its step retries, and advances once it is sent', async () => {
    const { scheduler, transport } = await setup(backend, { retry: { baseDelayMs: 1000, maxAttempts: 3 } });
    const seq = await scheduler.sequences.create({ name: 'R', steps: [step('one'), step('two', 0, 1)] });
    const { enrollment } = await scheduler.sequences.enrollRecipient(seq.id, 'r@x.org');
    transport.failNextSends(1);
    await scheduler.tick(T0);
    const waiting = await scheduler.sequences.getEnrollment(enrollment.id);
    expect(waiting).toMatchObject({ currentStep: 0, pendingStepId: seq.steps[0]!.id, nextSendAt: null });
    await scheduler.tick(plus(T0, 60_000));
    const moved = await scheduler.sequences.getEnrollment(enrollment.id);
    expect(moved).toMatchObject({ currentStep: 1, pendingStepId: null });
    expect(moved.nextSendAt?.toISOString()).toBe(plus(T0, 60_000 + HOUR).toISOString());
    expect(transport.calls.map((c) => c.attempt)).toEqual([1, 2]);
  });

  it('stops an enrollment as failed when its step goes dead, and a resume retries that step', async () => {
    const { scheduler, transport, clock } = await setup(backend);
    const events = recordEvents(scheduler);
    const seq = await scheduler.sequences.create({ name: 'F', steps: [step('one'), step('two', 1)] });
    const bad = (await scheduler.sequences.enrollRecipient(seq.id, 'gone@x.org')).enrollment;
    const good = (await scheduler.sequences.enrollRecipient(seq.id, 'ok@x.org')).enrollment;
    transport.failPermanentlyForEmail('gone@x.org');
    await scheduler.tick(T0);

    const failed = await scheduler.sequences.getEnrollment(bad.id);
    expect(failed).toMatchObject({ status: 'failed', currentStep: 0, pendingStepId: null, nextSendAt: null });
    expect(failed.statusReason).toMatch(
      /^step 1 could not be delivered: simulated hard bounce for gone@x.org/,
    );
    expect(failed.failedAt?.toISOString()).toBe(T0.toISOString());
    expect(events.of('sequence:failed')).toEqual([
      expect.objectContaining({ enrollmentId: bad.id, stepId: seq.steps[0]!.id, stepOrder: 1 }),
    ]);
    expect(await scheduler.sequences.getEnrollment(good.id)).toMatchObject({
      status: 'active',
      currentStep: 1,
    });
    await tickEvery(scheduler, plus(T0, DAY), plus(T0, 3 * DAY), DAY);
    expect(transport.calls.filter((c) => c.message.to === 'gone@x.org')).toHaveLength(1);

    // The address was fixed: resume retries the failed step under the same key.
    transport.reset();
    const resumeAt = clock.set(plus(T0, 4 * DAY));
    const resumed = await scheduler.sequences.resumeEnrollment(bad.id);
    expect(resumed).toMatchObject({ status: 'active', statusReason: null });
    expect(resumed.nextSendAt?.toISOString()).toBe(resumeAt.toISOString());
    await scheduler.tick(resumeAt);
    expect(transport.calls).toEqual([
      expect.objectContaining({ idempotencyKey: `sequence:${bad.id}:step:${seq.steps[0]!.id}`, attempt: 1 }),
    ]);
    expect(await scheduler.sequences.getEnrollment(bad.id)).toMatchObject({
      status: 'active',
      currentStep: 1,
    });
  });

  it("with onStepFailure 'skip' passes over a dead step and goes on from the failure instant", async () => {
    const { scheduler, transport } = await setup(backend);
    const events = recordEvents(scheduler);
    const seq = await scheduler.sequences.create({
      name: 'Skip',
      onStepFailure: 'skip',
      steps: [step('one'), step('two', 0, 2), step('three', 0, 2)],
    });
    const { enrollment } = await scheduler.sequences.enrollRecipient(seq.id, 'x@x.org');
    transport.failPermanentlyForKey(`sequence:${enrollment.id}:step:${seq.steps[1]!.id}`);
    await tickEvery(scheduler, T0, plus(T0, 6 * HOUR), HOUR);
    expect(transport.sent.map((s) => s.message.subject)).toEqual(['one', 'three']);
    const done = await scheduler.sequences.getEnrollment(enrollment.id);
    expect(done).toMatchObject({ status: 'completed', currentStep: 3 });
    // two died at 02:00 after the first send; three counts 2 h from that failure.
    expect(transport.sent[1]!.message.origin).toMatchObject({ stepOrder: 3 });
    expect(done.completedAt?.toISOString()).toBe(plus(T0, 4 * HOUR).toISOString());
    expect(events.of('sequence:step-skipped')).toEqual([
      expect.objectContaining({ stepOrder: 2, reason: expect.stringMatching(/hard bounce/) }),
    ]);
    expect(events.of('sequence:failed')).toEqual([]);
  });

  it('advanceStep passes over the awaited step (cancelling it if queued) and counts the next from now', async () => {
    const { scheduler, transport, clock } = await setup(backend);
    const events = recordEvents(scheduler);
    const seq = await scheduler.sequences.create({ name: 'A', steps: [step('one'), step('two', 0, 3)] });
    const { enrollment } = await scheduler.sequences.enrollRecipient(seq.id, 'a@x.org');
    await scheduler.sequences.processSequenceSteps(T0);
    clock.set(plus(T0, 60_000));
    const advanced = await scheduler.sequences.advanceStep(enrollment.id);
    expect(advanced).toMatchObject({ currentStep: 1, lastStepId: seq.steps[0]!.id, pendingStepId: null });
    expect(advanced.nextSendAt?.toISOString()).toBe(plus(T0, 60_000 + 3 * HOUR).toISOString());
    expect(
      await scheduler.deliveries.get(`sequence:${enrollment.id}:step:${seq.steps[0]!.id}`),
    ).toMatchObject({
      status: 'cancelled',
    });
    await tickEvery(scheduler, T0, plus(T0, 4 * HOUR), HOUR / 2);
    expect(transport.sent.map((s) => s.message.subject)).toEqual(['two']);
    expect(events.of('sequence:step-skipped')).toEqual([
      expect.objectContaining({ stepOrder: 1, reason: 'advanced by advanceStep' }),
    ]);
    expect((await scheduler.sequences.getEnrollment(enrollment.id)).status).toBe('completed');
    await expect(scheduler.sequences.advanceStep(enrollment.id)).rejects.toMatchObject({
      name: 'ConflictError',
    });
  });
});
