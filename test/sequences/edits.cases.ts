import { describe, expect, it } from 'vitest';
import type { CapturingTransport } from '../../src/testing/index.js';
import { backends } from '../support/backends.js';
import { setup } from '../support/harness.js';
import { DAY, HOUR, plus, step, subjectsTo, T0, tickEvery } from './helpers.js';

const FIVE = [step('A'), step('B', 1), step('C', 1), step('D', 1), step('E', 1)];

/** Each sent key once: nothing was sent twice under one key. */
function expectNoDuplicateKeys(transport: CapturingTransport) {
  expect(new Set(transport.sentKeys).size).toBe(transport.sentKeys.length);
}

describe.each(backends)('editing a sequence while people are enrolled on $name', (backend) => {
  it('a step inserted behind someone is not sent to them; one inserted ahead of them is', async () => {
    const { scheduler, transport, clock } = await setup(backend);
    const seq = await scheduler.sequences.create({ name: 'Insert', steps: FIVE });
    const r1 = (await scheduler.sequences.enrollRecipient(seq.id, 'r1@x.org')).enrollment;
    await tickEvery(scheduler, T0, plus(T0, DAY), DAY); // A, then B a day later
    const b = seq.steps[1]!;

    clock.set(plus(T0, DAY + HOUR));
    const x = await scheduler.sequences.addStep(seq.id, { ...step('X'), stepOrder: 1 });
    expect(x.stepOrder).toBe(1);
    expect(await scheduler.sequences.getEnrollment(r1.id)).toMatchObject({
      currentStep: 3,
      lastStepId: b.id,
    });
    const y = await scheduler.sequences.addStep(seq.id, { ...step('Y', 0, 6), stepOrder: 4 });
    const view = await scheduler.sequences.get(seq.id);
    expect(view.steps.map((s) => `${s.stepOrder}:${s.subject}`)).toEqual([
      '1:X',
      '2:A',
      '3:B',
      '4:Y',
      '5:C',
      '6:D',
      '7:E',
    ]);
    const r2 = (await scheduler.sequences.enrollRecipient(seq.id, 'r2@x.org')).enrollment;

    // The next tick recomputes r1: Y is 6 h after B's send.
    await scheduler.tick(plus(T0, DAY + HOUR));
    expect((await scheduler.sequences.getEnrollment(r1.id)).nextSendAt?.toISOString()).toBe(
      plus(T0, DAY + 6 * HOUR).toISOString(),
    );
    await tickEvery(scheduler, plus(T0, DAY + 2 * HOUR), plus(T0, 9 * DAY), HOUR);
    expect(subjectsTo(transport.sent, 'r1@x.org')).toEqual(['A', 'B', 'Y', 'C', 'D', 'E']);
    expect(subjectsTo(transport.sent, 'r2@x.org')).toEqual(['X', 'A', 'B', 'Y', 'C', 'D', 'E']);
    expectNoDuplicateKeys(transport);
    const sentY = await scheduler.deliveries.get(`sequence:${r1.id}:step:${y.id}`);
    expect(sentY?.sentAt?.toISOString()).toBe(plus(T0, DAY + 6 * HOUR).toISOString());
    expect(await scheduler.sequences.getEnrollment(r1.id)).toMatchObject({
      status: 'completed',
      currentStep: 7,
    });
    expect(r2.id).toBeGreaterThan(r1.id);
  });

  it('deleting the next step (also while it is queued) moves on to the step after it', async () => {
    const { scheduler, transport, clock } = await setup(backend);
    const seq = await scheduler.sequences.create({ name: 'Delete', steps: FIVE });
    const [a, , c] = seq.steps;
    const r1 = (await scheduler.sequences.enrollRecipient(seq.id, 'r1@x.org')).enrollment;
    clock.set(plus(T0, HOUR));
    const r2 = (await scheduler.sequences.enrollRecipient(seq.id, 'r2@x.org')).enrollment;
    await tickEvery(scheduler, T0, plus(T0, DAY + HOUR), HOUR); // A and B for both

    // At C's due time r1's C is queued (not yet delivered); r2 still waits an hour for its C.
    await scheduler.sequences.processSequenceSteps(plus(T0, 2 * DAY));
    expect(await scheduler.sequences.getEnrollment(r1.id)).toMatchObject({ pendingStepId: c!.id });
    clock.set(plus(T0, 2 * DAY));
    await scheduler.sequences.deleteStep(seq.id, c!.id);
    expect(await scheduler.deliveries.get(`sequence:${r1.id}:step:${c!.id}`)).toMatchObject({
      status: 'cancelled',
    });
    expect(await scheduler.sequences.getEnrollment(r1.id)).toMatchObject({
      currentStep: 2,
      pendingStepId: null,
    });

    await tickEvery(scheduler, plus(T0, 2 * DAY), plus(T0, 2 * DAY + 2 * HOUR), HOUR);
    expect(subjectsTo(transport.sent, 'r1@x.org')).toEqual(['A', 'B', 'D']);
    expect(subjectsTo(transport.sent, 'r2@x.org')).toEqual(['A', 'B', 'D']);
    // D takes C's slot: a day after B.
    const d1 = await scheduler.deliveries.get(`sequence:${r1.id}:step:${seq.steps[3]!.id}`);
    const d2 = await scheduler.deliveries.get(`sequence:${r2.id}:step:${seq.steps[3]!.id}`);
    expect(d1?.sentAt?.toISOString()).toBe(plus(T0, 2 * DAY).toISOString());
    expect(d2?.sentAt?.toISOString()).toBe(plus(T0, 2 * DAY + HOUR).toISOString());

    // Deleting a step behind them renumbers their position without skipping anything.
    await scheduler.sequences.deleteStep(seq.id, a!.id);
    expect(await scheduler.sequences.getEnrollment(r1.id)).toMatchObject({
      currentStep: 2,
      lastStepId: seq.steps[3]!.id,
    });
    await tickEvery(scheduler, plus(T0, 2 * DAY + 3 * HOUR), plus(T0, 6 * DAY), HOUR);
    expect(subjectsTo(transport.sent, 'r1@x.org')).toEqual(['A', 'B', 'D', 'E']);
    expect(subjectsTo(transport.sent, 'r2@x.org')).toEqual(['A', 'B', 'D', 'E']);
    expect((await scheduler.sequences.get(seq.id)).enrollmentCounts).toMatchObject({
      completed: 2,
      total: 2,
    });
    expectNoDuplicateKeys(transport);
  });

  it('reordering continues after the last step sent and never re-sends a step', async () => {
    const { scheduler, transport, clock } = await setup(backend);
    const seq = await scheduler.sequences.create({ name: 'Reorder', steps: FIVE });
    const [a, b, c, d, e] = seq.steps.map((s) => s.id);
    const r1 = (await scheduler.sequences.enrollRecipient(seq.id, 'r1@x.org')).enrollment;
    await tickEvery(scheduler, T0, plus(T0, DAY), DAY); // A, B

    clock.set(plus(T0, DAY + HOUR));
    const steps = await scheduler.sequences.reorderSteps(seq.id, [b!, c!, a!, d!, e!]);
    expect(steps.map((s) => s.subject)).toEqual(['B', 'C', 'A', 'D', 'E']);
    expect(await scheduler.sequences.getEnrollment(r1.id)).toMatchObject({ currentStep: 1, lastStepId: b });
    const r2 = (await scheduler.sequences.enrollRecipient(seq.id, 'r2@x.org')).enrollment;

    await tickEvery(scheduler, plus(T0, DAY + HOUR), plus(T0, 8 * DAY), HOUR);
    // r1 got A and B before the reorder: it goes on with C, passes over A (already sent), then D, E.
    expect(subjectsTo(transport.sent, 'r1@x.org')).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(subjectsTo(transport.sent, 'r2@x.org')).toEqual(['B', 'C', 'A', 'D', 'E']);
    const sentAt = async (enrollmentId: number, stepId: number) =>
      (await scheduler.deliveries.get(`sequence:${enrollmentId}:step:${stepId}`))?.sentAt?.toISOString();
    expect(await sentAt(r1.id, c!)).toBe(plus(T0, 2 * DAY).toISOString());
    expect(await sentAt(r1.id, d!)).toBe(plus(T0, 3 * DAY).toISOString());
    expect(await scheduler.sequences.getEnrollment(r1.id)).toMatchObject({
      status: 'completed',
      currentStep: 5,
    });
    expect(r2.status).toBe('active');
    expectNoDuplicateKeys(transport);
    await expect(scheduler.sequences.reorderSteps(seq.id, [a!, b!, c!])).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [{ path: 'stepIds', message: expect.stringMatching(/every step/) }],
    });
  });

  it('moving a step that was ahead of someone to before their position leaves it behind them', async () => {
    const { scheduler, transport, clock } = await setup(backend);
    const seq = await scheduler.sequences.create({ name: 'Move', steps: FIVE });
    const r1 = (await scheduler.sequences.enrollRecipient(seq.id, 'r1@x.org')).enrollment;
    await tickEvery(scheduler, T0, plus(T0, DAY), DAY);
    clock.set(plus(T0, DAY + HOUR));
    const moved = await scheduler.sequences.updateStep(seq.id, seq.steps[3]!.id, { stepOrder: 1 });
    expect(moved).toMatchObject({ subject: 'D', stepOrder: 1 });
    expect(await scheduler.sequences.getEnrollment(r1.id)).toMatchObject({ currentStep: 3 });
    await tickEvery(scheduler, plus(T0, DAY + HOUR), plus(T0, 6 * DAY), HOUR);
    expect(subjectsTo(transport.sent, 'r1@x.org')).toEqual(['A', 'B', 'C', 'E']);
  });

  it('content edits apply to steps not yet sent; timing edits reschedule whoever waits on the step', async () => {
    const { scheduler, transport, clock } = await setup(backend);
    const seq = await scheduler.sequences.create({ name: 'Timing', steps: FIVE });
    const [, b, c] = seq.steps;
    const r1 = (await scheduler.sequences.enrollRecipient(seq.id, 'r1@x.org')).enrollment;
    await tickEvery(scheduler, T0, plus(T0, DAY), DAY);
    const editAt = clock.set(plus(T0, DAY + 2 * HOUR));
    await scheduler.sequences.updateStep(seq.id, b!.id, { subject: 'B edited' });
    await scheduler.sequences.updateStep(seq.id, c!.id, { subject: 'C edited', delayDays: 3 });
    await scheduler.tick(editAt);
    expect((await scheduler.sequences.getEnrollment(r1.id)).nextSendAt?.toISOString()).toBe(
      plus(T0, 4 * DAY).toISOString(),
    );
    await scheduler.sequences.updateStep(seq.id, c!.id, { delayDays: 0, sendTime: '18:00' });
    await scheduler.tick(editAt);
    // B went out on 03-03 at 08:00; C is now "same day at 18:00".
    expect((await scheduler.sequences.getEnrollment(r1.id)).nextSendAt?.toISOString()).toBe(
      '2026-03-03T18:00:00.000Z',
    );
    await tickEvery(scheduler, plus(editAt, HOUR), plus(T0, DAY + 12 * HOUR), HOUR);
    expect(subjectsTo(transport.sent, 'r1@x.org')).toEqual(['A', 'B', 'C edited']);
    await expect(scheduler.sequences.updateStep(seq.id, c!.id, { sendTime: '25:00' })).rejects.toMatchObject({
      issues: [expect.objectContaining({ path: 'sendTime' })],
    });
    await expect(scheduler.sequences.updateStep(seq.id, 999_999, { subject: 'x' })).rejects.toMatchObject({
      name: 'NotFoundError',
      entity: 'step',
    });
  });

  it('a new sequence timezone reschedules waiting enrollments that have no zone of their own', async () => {
    const { scheduler, clock } = await setup(backend);
    const seq = await scheduler.sequences.create({
      name: 'Zone',
      steps: [step('A'), step('B', 1, 0, '09:00')],
    });
    const plain = (await scheduler.sequences.enrollRecipient(seq.id, 'plain@x.org')).enrollment;
    const tokyo = (
      await scheduler.sequences.enrollRecipient(seq.id, 'tokyo@x.org', { timezone: 'Asia/Tokyo' })
    ).enrollment;
    await scheduler.tick(T0);
    const before = (await scheduler.sequences.getEnrollment(tokyo.id)).nextSendAt?.toISOString();
    expect((await scheduler.sequences.getEnrollment(plain.id)).nextSendAt?.toISOString()).toBe(
      '2026-03-03T09:00:00.000Z',
    );
    const editAt = clock.set(plus(T0, HOUR));
    await scheduler.sequences.update(seq.id, { timezone: 'America/New_York' });
    await scheduler.tick(editAt);
    const moved = await scheduler.sequences.getEnrollment(plain.id);
    expect(moved.timezone).toBe('America/New_York');
    // A day after 08:00Z (03:00 EST) is 03-03 03:00 EST: 09:00 EST that day is 14:00Z.
    expect(moved.nextSendAt?.toISOString()).toBe('2026-03-03T14:00:00.000Z');
    expect((await scheduler.sequences.getEnrollment(tokyo.id)).nextSendAt?.toISOString()).toBe(before);
  });
});
