import { calculateStepSendTime, nextLocalTime } from '../../time/index.js';
import type { SequenceRow, StepRow } from './records.js';
import { readBool } from '../../store/codec.js';

/** A step as the scheduling logic needs it. */
export interface StepInfo {
  id: number;
  order: number;
  subject: string;
  templateId: number | null;
  delayDays: number;
  delayHours: number;
  sendTime: string | null;
}

/** A sequence's settings and steps in order: everything a scheduling decision reads. */
export interface Structure {
  sequenceId: number;
  enabled: boolean;
  timezone: string;
  onStepFailure: 'stop' | 'skip';
  steps: StepInfo[];
}

export function toStructure(sequence: SequenceRow, steps: readonly StepRow[]): Structure {
  return {
    sequenceId: sequence.id,
    enabled: readBool(sequence.enabled),
    timezone: sequence.timezone,
    onStepFailure: sequence.on_step_failure === 'skip' ? 'skip' : 'stop',
    steps: steps
      .map((s) => ({
        id: s.id,
        order: s.step_order,
        subject: s.subject,
        templateId: s.template_id,
        delayDays: s.delay_days,
        delayHours: s.delay_hours,
        sendTime: s.send_time,
      }))
      .sort((a, b) => a.order - b.order || a.id - b.id),
  };
}

/** The step an enrollment goes on with: the first whose order is greater than the last one it passed. */
export function nextStepAfter(structure: Structure, currentStep: number): StepInfo | undefined {
  return structure.steps.find((s) => s.order > currentStep);
}

/** When `step` is due after `base` (the previous step's send, or the enrollment) by the DESIGN.md rule. */
export function stepDueAt(step: StepInfo, base: Date, timezone: string): Date {
  return calculateStepSendTime({
    base,
    timezone,
    delayDays: step.delayDays,
    delayHours: step.delayHours,
    sendTime: step.sendTime,
  });
}

/**
 * The next time `step` may go out when its own time has already passed and a burst is not
 * wanted (after a resume, a release or an edit): its next `sendTime` at or after `now`, or
 * `now` when it has none.
 */
export function nextAllowedTime(step: StepInfo, timezone: string, now: Date): Date {
  return step.sendTime ? nextLocalTime(step.sendTime, timezone, now) : now;
}

/**
 * The due time of `step` for an enrollment: computed from `base`; when `reschedule` is set
 * (resume, release, edit) an overdue time moves to the next allowed time instead of `now`'s burst.
 */
export function plannedDueAt(
  step: StepInfo,
  base: Date,
  timezone: string,
  now: Date,
  reschedule: boolean,
): Date {
  const due = stepDueAt(step, base, timezone);
  return reschedule && due < now ? nextAllowedTime(step, timezone, now) : due;
}

export function stepKey(enrollmentId: number, stepId: number): string {
  return `sequence:${enrollmentId}:step:${stepId}`;
}

export const SOURCE_TYPE = 'sequence';
