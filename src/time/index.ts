/**
 * tickwork's pure time functions. No function here reads the wall clock except
 * `calculateNextRun`'s default for `after`; engines pass their own `now`.
 */
export { assertValidCron, cronScheduleKind, isValidCron, type CronScheduleKind } from './cron.js';
export { parseTimeOfDay, type TimeOfDay } from './local-time.js';
export { MAX_PREVIEW_RUNS, calculateNextRun, calculatePreviousRun, previewRuns } from './next-run.js';
export { calculateStepSendTime, type StepSendTimeInput } from './step-time.js';
export {
  assertValidTimezone,
  getUtcTimeForLocal,
  isValidTimezone,
  nextLocalTime,
  resolveLocalDateTime,
  toLocalDateTime,
  type LocalDateTimeResolution,
  type NextLocalTimeOptions,
} from './timezone.js';
