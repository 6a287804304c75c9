import type { CapturedSend } from '../../src/testing/index.js';
import type { Scheduler, SequenceEvents } from '../../src/index.js';
import { START } from '../support/harness.js';

export const T0 = new Date(START); // 2026-03-02T08:00:00Z, a Monday
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const at = (iso: string) => new Date(iso);
export const plus = (base: Date, ms: number) => new Date(base.getTime() + ms);

/** A step as addStep / create take it. */
export function step(
  subject: string,
  delayDays = 0,
  delayHours = 0,
  sendTime: string | null = null,
): { subject: string; delayDays: number; delayHours: number; sendTime: string | null; templateId: number } {
  return { subject, delayDays, delayHours, sendTime, templateId: 7 };
}

/** Ticks at each instant from `from` to `to` (inclusive) every `stepMs`, again at once while more is due. */
export async function tickEvery(scheduler: Scheduler, from: Date, to: Date, stepMs: number): Promise<void> {
  for (let t = from.getTime(); t <= to.getTime(); t += stepMs) {
    let summary;
    do summary = await scheduler.tick(new Date(t));
    while (summary.moreDue);
  }
}

/** The subjects an address received, in order. */
export function subjectsTo(sent: readonly CapturedSend[], email: string): string[] {
  return sent.filter((s) => s.message.to === email).map((s) => s.message.subject);
}

/** Records every event of the engine, in order. */
export function recordEvents(scheduler: Scheduler) {
  const log: Array<{ type: keyof SequenceEvents; event: SequenceEvents[keyof SequenceEvents] }> = [];
  const types: Array<keyof SequenceEvents> = [
    'sequence:enrolled',
    'sequence:step-queued',
    'sequence:step-sent',
    'sequence:step-skipped',
    'sequence:completed',
    'sequence:paused',
    'sequence:resumed',
    'sequence:cancelled',
    'sequence:failed',
  ];
  for (const type of types) scheduler.events.on(type, (event) => log.push({ type, event }));
  return {
    log,
    types: () => log.map((e) => e.type),
    of: <K extends keyof SequenceEvents>(type: K) =>
      log.filter((e) => e.type === type).map((e) => e.event as SequenceEvents[K]),
  };
}
