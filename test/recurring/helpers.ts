import { expect } from 'vitest';
import type {
  CreateRecurringCampaignInput,
  RecurringRunWithDeliveries,
  Scheduler,
  TickworkEvents,
} from '../../src/index.js';
import { setup, START, type Harness } from '../support/harness.js';

export const T0 = new Date(START);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const at = (iso: string) => new Date(iso);
export const plus = (date: Date, ms: number) => new Date(date.getTime() + ms);

/** A daily 09:00 UTC campaign to two static recipients; the clock starts Monday 2026-03-02 08:00Z. */
export function campaignInput(
  overrides: Partial<CreateRecurringCampaignInput> = {},
): CreateRecurringCampaignInput {
  return {
    name: 'Daily digest',
    templateId: 7,
    subject: 'Your digest',
    recipientSource: 'static',
    recipientData: ['a@x.org', { email: 'b@x.org', name: 'Bea', plan: 'pro' }],
    scheduleCron: '0 9 * * *',
    timezone: 'UTC',
    ...overrides,
  };
}

/** Ticks `now` until nothing more is due, as a host would. */
export async function tickAll(scheduler: Scheduler, now: Date): Promise<void> {
  let summary;
  do summary = await scheduler.tick(now);
  while (summary.moreDue);
}

/** Every run of a campaign, oldest first. */
export async function runsOf(
  scheduler: Scheduler,
  campaignId: number,
): Promise<RecurringRunWithDeliveries[]> {
  const page = await scheduler.recurring.listRuns(campaignId, { limit: 500 });
  return [...page.items].reverse();
}

export const iso = (dates: readonly (Date | null)[]) => dates.map((d) => d?.toISOString() ?? null);

/** Asserts that `promise` rejects with a ValidationError whose issues name exactly these paths. */
export async function expectValidationError(promise: Promise<unknown>, paths: string[]): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a ValidationError').toMatchObject({ name: 'ValidationError', code: 'VALIDATION' });
  const issues = (error as { issues: { path: string; message: string }[] }).issues;
  expect(issues.map((i) => i.path).sort()).toEqual([...paths].sort());
  for (const issue of issues) expect(issue.message.length).toBeGreaterThan(3);
}

type RecurringEventName = Extract<keyof TickworkEvents, `recurring:${string}`>;
type Captured = { [K in RecurringEventName]?: TickworkEvents[K][] };
const EVENT_NAMES: RecurringEventName[] = [
  'recurring:started',
  'recurring:completed',
  'recurring:failed',
  'recurring:skipped',
  'recurring:ended',
];

/** Records every recurring event, by name, in order. */
export function capture(events: Scheduler['events']): Captured {
  const seen: Captured = {};
  for (const name of EVENT_NAMES) {
    events.on(name, (event) => ((seen[name] ??= []) as unknown[]).push(event));
  }
  return seen;
}

/*
 * Kysely's migrator introspects every table of every schema on the server; while other
 * test files migrate their own schemas at the same moment, that catalog query can fail
 * (`schema ... does not exist`, `column ... does not exist`, in a parallel worker). It is
 * a race in the harness, not in the engine under test: retry setup on exactly those errors.
 */
const INTROSPECTION_RACE_CODES = new Set(['3F000', '42703', '42P01']);

function isIntrospectionRace(error: unknown): boolean {
  const { name, cause } = (error ?? {}) as { name?: unknown; cause?: { code?: unknown } };
  return name === 'MigrationError' && INTROSPECTION_RACE_CODES.has(String(cause?.code));
}

async function retryRace<T>(make: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await make();
    } catch (error) {
      if (attempt >= 8 || !isIntrospectionRace(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

/** `setup` from the shared harness, retried past the migration introspection race above. */
export async function setupRecurring(...args: Parameters<typeof setup>): Promise<Harness> {
  const harness = await retryRace(() => setup(...args));
  const another = harness.another;
  return { ...harness, another: (options) => retryRace(() => another(options)) };
}
