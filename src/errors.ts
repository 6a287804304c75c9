/**
 * Every error tickwork throws on purpose is a TickworkError with a stable `code`.
 * Hosts (and the HTTP layer) recognise errors by `name`/`code`, so a copy of the class
 * loaded twice still classifies correctly; `instanceof` also works because every subpath
 * shares one build of this module.
 */
export type TickworkErrorCode =
  | 'VALIDATION'
  | 'INVALID_CRON'
  | 'INVALID_TIMEZONE'
  | 'INVALID_LOCAL_TIME'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PERMANENT_DELIVERY_FAILURE'
  | 'TRANSPORT_TIMEOUT'
  | 'RECIPIENT_SOURCE'
  | 'STORE'
  | 'CLOSED'
  | 'TICK_FAILED'
  | 'MIGRATION_FAILED';

export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `steps.2.sendTime`; empty for the whole input. */
  path: string;
  message: string;
}

export class TickworkError extends Error {
  readonly code: TickworkErrorCode;

  constructor(code: TickworkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TickworkError';
    this.code = code;
  }
}

/** Input was rejected; `issues` names every offending field. Nothing was written. */
export class ValidationError extends TickworkError {
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[], message?: string) {
    super('VALIDATION', message ?? formatIssues(issues));
    this.name = 'ValidationError';
    this.issues = issues;
  }

  /** A ValidationError for a single field. */
  static field(path: string, message: string): ValidationError {
    return new ValidationError([{ path, message }]);
  }
}

/** A cron expression that cannot be parsed; `message` says which field and why. */
export class InvalidCronError extends TickworkError {
  readonly expression: string;

  constructor(expression: string, message: string) {
    super('INVALID_CRON', message);
    this.name = 'InvalidCronError';
    this.expression = expression;
  }
}

/** A timezone that is not a known IANA zone name. */
export class InvalidTimezoneError extends TickworkError {
  readonly timezone: string;

  constructor(timezone: string, message = `unknown timezone '${timezone}'`) {
    super('INVALID_TIMEZONE', message);
    this.name = 'InvalidTimezoneError';
    this.timezone = timezone;
  }
}

/** A local date-time or time-of-day string that does not match the expected format. */
export class InvalidLocalTimeError extends TickworkError {
  readonly value: string;

  constructor(value: string, message: string) {
    super('INVALID_LOCAL_TIME', message);
    this.name = 'InvalidLocalTimeError';
    this.value = value;
  }
}

export class NotFoundError extends TickworkError {
  readonly entity: string;
  readonly id: string | number;

  constructor(entity: string, id: string | number) {
    super('NOT_FOUND', `${entity} ${id} not found`);
    this.name = 'NotFoundError';
    this.entity = entity;
    this.id = id;
  }
}

export class ConflictError extends TickworkError {
  constructor(message: string) {
    super('CONFLICT', message);
    this.name = 'ConflictError';
  }
}

/**
 * Thrown by a transport to say that retrying cannot help (a hard bounce, a rejected
 * address): the delivery is dead-lettered at once instead of retried.
 */
export class PermanentDeliveryError extends TickworkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PERMANENT_DELIVERY_FAILURE', message, options);
    this.name = 'PermanentDeliveryError';
  }
}

/** A transport call that did not settle within `delivery.sendTimeoutMs`. */
export class TransportTimeoutError extends TickworkError {
  constructor(timeoutMs: number) {
    super('TRANSPORT_TIMEOUT', `transport.send did not settle within ${timeoutMs} ms`);
    this.name = 'TransportTimeoutError';
  }
}

/** A recipient source failed (unreachable URL, bad JSON, a host source that threw). */
export class RecipientSourceError extends TickworkError {
  readonly source: string;

  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super('RECIPIENT_SOURCE', message, options);
    this.name = 'RecipientSourceError';
    this.source = source;
  }
}

/** The scheduler was closed; no further calls are accepted. */
export class SchedulerClosedError extends TickworkError {
  constructor() {
    super('CLOSED', 'the scheduler is closed');
    this.name = 'SchedulerClosedError';
  }
}

/**
 * A tick phase failed (usually the database: a dropped connection, a locked file). Other
 * phases still ran; `summary` says what they did. The next tick resumes: every phase's
 * work is claimed in the database, so nothing is lost or doubled.
 */
export class TickError extends TickworkError {
  readonly failures: ReadonlyArray<{ phase: string; error: unknown }>;
  readonly summary: unknown;

  constructor(failures: ReadonlyArray<{ phase: string; error: unknown }>, summary: unknown) {
    const first = failures[0];
    const detail = first
      ? `${first.phase}: ${first.error instanceof Error ? first.error.message : String(first.error)}`
      : '';
    super('TICK_FAILED', `tick failed in ${failures.map((f) => f.phase).join(', ')} (${detail})`, {
      cause: first?.error,
    });
    this.name = 'TickError';
    this.failures = failures;
    this.summary = summary;
  }
}

export class MigrationError extends TickworkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MIGRATION_FAILED', message, options);
    this.name = 'MigrationError';
  }
}

/** Recognises permanent failures by name/code too, so a transport built against another copy of tickwork still works. */
export function isPermanentDeliveryError(error: unknown): boolean {
  if (error instanceof PermanentDeliveryError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { name, code, permanent } = error as { name?: unknown; code?: unknown; permanent?: unknown };
  return name === 'PermanentDeliveryError' || code === 'PERMANENT_DELIVERY_FAILURE' || permanent === true;
}

const TICKWORK_ERROR_NAMES = new Set([
  'TickworkError',
  'ValidationError',
  'InvalidCronError',
  'InvalidTimezoneError',
  'InvalidLocalTimeError',
  'NotFoundError',
  'ConflictError',
  'PermanentDeliveryError',
  'TransportTimeoutError',
  'RecipientSourceError',
  'SchedulerClosedError',
  'TickError',
  'MigrationError',
]);

/** True for any tickwork error, recognised by `name` and `code` as well as by `instanceof`. */
export function isTickworkError(error: unknown): error is TickworkError {
  if (error instanceof TickworkError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return typeof name === 'string' && TICKWORK_ERROR_NAMES.has(name) && typeof code === 'string';
}

function formatIssues(issues: ValidationIssue[]): string {
  if (issues.length === 0) return 'invalid input';
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}
