/*
 * The engines' workloads for the reliability harnesses: recurring campaigns, drip sequences and
 * timezone batches, seeded through the public API with the parent's clock at the span's start.
 * Each one works out what must reach the transport from its own input — occurrences counted by
 * the oracle (time-oracle.ts: the platform's Intl time-zone data and an own cron matcher, not
 * tickwork's), enrollments times steps, recipients grouped by the instant their zone reaches the
 * target — and lists every idempotency key in the documented formats:
 *
 *   recurring:<campaignId>:<occurrence ISO>:<lowercased email>
 *   sequence:<enrollmentId>:step:<stepId>
 *   batch:<batchId>:<lowercased email>
 *
 * Seeding also compares what the engine planned (a campaign's first `nextRunAt`, each
 * enrollment's first `nextSendAt`, each batch's instant and size) with the oracle, so a
 * disagreement fails at once with both answers instead of as lost deliveries later. After the
 * run, `verify` checks the engines' own records: every run completed, every enrollment
 * completed, every batch done with all its messages sent.
 */
import { mulberry32 } from './prng.js';
import { constantOffset, cronOccurrences, localDate, nextLocalTime } from './time-oracle.js';
import { directWorkload, type ExpectedDeliveries, type Workload, type WorkloadClock } from './workload.js';

const HOUR_MS = 3_600_000;

/**
 * Zones of every kind: whole, half and three-quarter hour offsets, both signs and the date
 * line's two sides, southern-hemisphere summer time (30-minute DST on Lord Howe), zones that
 * keep no DST, link names (US/Eastern, Asia/Calcutta) and POSIX-signed Etc zones.
 */
export const ZONES = [
  'UTC',
  'Etc/GMT+12',
  'Pacific/Pago_Pago',
  'Pacific/Honolulu',
  'Pacific/Marquesas',
  'America/Anchorage',
  'America/Los_Angeles',
  'America/Phoenix',
  'America/Chicago',
  'US/Eastern',
  'America/Caracas',
  'America/St_Johns',
  'America/Sao_Paulo',
  'America/Santiago',
  'America/Noronha',
  'Atlantic/Cape_Verde',
  'Europe/London',
  'Europe/Berlin',
  'Africa/Cairo',
  'Europe/Istanbul',
  'Asia/Tehran',
  'Asia/Dubai',
  'Asia/Kabul',
  'Asia/Karachi',
  'Asia/Kolkata',
  'Asia/Calcutta',
  'Asia/Kathmandu',
  'Asia/Dhaka',
  'Asia/Yangon',
  'Asia/Bangkok',
  'Asia/Shanghai',
  'Australia/Eucla',
  'Asia/Tokyo',
  'Australia/Darwin',
  'Australia/Adelaide',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Pacific/Auckland',
  'Pacific/Chatham',
  'Etc/GMT-14',
  'Pacific/Kiritimati',
] as const;

interface Span {
  start: number;
  end: number;
}

function spanOf(clock: WorkloadClock): Span {
  const start = clock.start.getTime();
  const end = start + clock.spanMs;
  for (const zone of ZONES) constantOffset(zone, start, end);
  return { start, end };
}

const iso = (ms: number) => new Date(ms).toISOString();

// --- recurring -----------------------------------------------------------------------------

interface CampaignPlan {
  cron: string;
  timezone: string;
  /** Distinct recipients; the list also repeats the first one in other case (a duplicate). */
  recipients: number;
  /** What the schedule exercises. */
  note: string;
}

/** About 5,000 sends over a 24-hour span starting 2026-03-02T08:00Z. */
export const CAMPAIGNS: readonly CampaignPlan[] = [
  { cron: '0 * * * *', timezone: 'UTC', recipients: 20, note: 'hourly' },
  { cron: '30 9 * * *', timezone: 'Asia/Kolkata', recipients: 300, note: 'fixed time, +05:30' },
  { cron: '*/30 * * * *', timezone: 'Asia/Kathmandu', recipients: 10, note: 'every 30 min, +05:45' },
  { cron: '0 */3 * * *', timezone: 'Australia/Eucla', recipients: 40, note: 'hour step, +08:45' },
  { cron: '15 9,17 * * 1-5', timezone: 'America/St_Johns', recipients: 150, note: 'list, weekdays, -03:30' },
  { cron: '45 */2 * * *', timezone: 'Pacific/Chatham', recipients: 25, note: '+13:45 summer time' },
  { cron: '0 8 * * *', timezone: 'Australia/Lord_Howe', recipients: 250, note: '30-minute DST zone' },
  { cron: '0 9-17 * * MON-FRI', timezone: 'US/Eastern', recipients: 40, note: 'link name, hour range' },
  { cron: '0 0 * * *', timezone: 'Etc/GMT+12', recipients: 200, note: 'midnight, POSIX sign' },
  { cron: '30 */20 * * * *', timezone: 'Asia/Tokyo', recipients: 5, note: 'six fields (seconds)' },
  { cron: '0 9 * * 2', timezone: 'Europe/Berlin', recipients: 200, note: 'weekly, at the span end' },
  { cron: '0 */4 * * *', timezone: 'America/Santiago', recipients: 50, note: 'southern summer time' },
  { cron: '0 12 * * *', timezone: 'Asia/Calcutta', recipients: 200, note: 'link name' },
  { cron: '@hourly', timezone: 'Pacific/Kiritimati', recipients: 15, note: 'macro, +14:00' },
  { cron: '*/45 * * * *', timezone: 'America/Caracas', recipients: 8, note: 'step not dividing 60' },
  { cron: '0 9 15 * 2', timezone: 'Australia/Adelaide', recipients: 200, note: 'day-of-month OR weekday' },
];

/**
 * Recurring campaigns with static recipient lists, each ending at the span's end
 * (`endAt`) with `missedRunPolicy: 'all'`, so the occurrences in (start, end] are exactly the
 * runs, however late a busy or crashed worker picks one up (up to `catchUpLimit` at once, which
 * the harnesses raise: see scaledEngineOptions).
 */
export function recurringWorkload(campaigns: readonly CampaignPlan[] = CAMPAIGNS): Workload {
  const created: Array<{ id: number; occurrences: number[]; recipients: number }> = [];
  return {
    name: 'recurring',
    async seed(scheduler, clock) {
      const { start, end } = spanOf(clock);
      const keys = new Set<string>();
      for (const [i, plan] of campaigns.entries()) {
        const occurrences = cronOccurrences(plan.cron, plan.timezone, start, end);
        if (occurrences.length === 0)
          throw new Error(`campaign ${i} (${plan.cron}) has no occurrence in the span`);
        const emails = Array.from(
          { length: plan.recipients },
          (_, j) => `rc${i}.${j}@recurring.reliability.test`,
        );
        const recipientData = [
          ...emails.map((email, j) =>
            j % 3 === 0 ? email : { email, name: `Recipient ${i}.${j}`, timezone: plan.timezone },
          ),
          emails[0]!.toUpperCase(),
        ];
        const campaign = await scheduler.recurring.create({
          name: `reliability ${i}: ${plan.note}`,
          templateId: i + 1,
          subject: `Campaign ${i}`,
          scheduleCron: plan.cron,
          timezone: plan.timezone,
          recipientSource: 'static',
          recipientData,
          endAt: new Date(end),
          missedRunPolicy: 'all',
        });
        if (campaign.nextRunAt?.getTime() !== occurrences[0]) {
          throw new Error(
            `campaign ${i} (${plan.cron} in ${plan.timezone}): the engine's first run is ` +
              `${campaign.nextRunAt?.toISOString() ?? 'none'}, the oracle's ${iso(occurrences[0]!)}`,
          );
        }
        for (const at of occurrences)
          for (const email of emails) keys.add(`recurring:${campaign.id}:${iso(at)}:${email}`);
        created.push({ id: campaign.id, occurrences, recipients: plan.recipients });
      }
      return { workload: this.name, sourceType: 'recurring', count: keys.size, keys };
    },
    async verify(scheduler) {
      const problems: string[] = [];
      for (const { id, occurrences, recipients } of created) {
        const runs = await scheduler.recurring.listRuns(id, { limit: 500 });
        const want = occurrences.map(iso).join(',');
        const got = runs.items
          .map((r) => r.scheduledAt.getTime())
          .sort((a, b) => a - b)
          .map(iso)
          .join(',');
        if (got !== want) problems.push(`campaign ${id}: runs at [${got}], occurrences [${want}]`);
        for (const run of runs.items) {
          if (run.status !== 'completed' || run.recipientCount !== recipients || run.duplicateCount !== 1) {
            problems.push(
              `campaign ${id} run ${run.id} (${iso(run.scheduledAt.getTime())}): ${run.status}, ` +
                `${run.recipientCount} recipients, ${run.duplicateCount} duplicates (${run.error ?? 'no error'})`,
            );
          }
        }
        const campaign = await scheduler.recurring.get(id);
        if (
          campaign.runCount !== occurrences.length ||
          campaign.enabled ||
          campaign.disabledReason !== 'endAt'
        ) {
          problems.push(
            `campaign ${id}: runCount ${campaign.runCount} of ${occurrences.length}, enabled ${campaign.enabled}, ` +
              `disabledReason ${campaign.disabledReason}`,
          );
        }
      }
      return problems;
    },
  };
}

// --- sequences ------------------------------------------------------------------------------

interface SequencePlan {
  name: string;
  timezone: string;
  steps: Array<{ subject: string; delayHours?: number; sendTime?: string }>;
  enrollments: number;
  /** Zones whose first step is due within the span (with room for the later steps). */
  zones(span: Span): string[];
  /** When the first step is due for an enrollment at `start` in `zone` (the oracle's answer). */
  firstDue(zone: string, start: number): number;
}

/** Elapsed delays after the first step of ONBOARDING, in hours. */
const ONBOARDING_HOURS = [2, 3, 6];
/** Elapsed delays after the first (09:00 local) step of MORNING, in hours. */
const MORNING_HOURS = [3, 1];

export const SEQUENCES: readonly SequencePlan[] = [
  {
    name: 'reliability onboarding',
    timezone: 'Europe/Berlin',
    steps: [
      { subject: 'Welcome' },
      ...ONBOARDING_HOURS.map((delayHours, i) => ({ subject: `Onboarding ${i + 2}`, delayHours })),
    ],
    enrollments: 700,
    zones(span) {
      const total = ONBOARDING_HOURS.reduce((a, b) => a + b, 0) * HOUR_MS;
      if (span.start + 2 * total > span.end)
        throw new Error('the span is too short for the onboarding sequence');
      return [...ZONES];
    },
    firstDue: (_zone, start) => start,
  },
  {
    name: 'reliability local morning',
    timezone: 'UTC',
    steps: [
      { subject: 'Good morning', sendTime: '09:00' },
      ...MORNING_HOURS.map((delayHours, i) => ({ subject: `Morning ${i + 2}`, delayHours })),
    ],
    enrollments: 600,
    zones(span) {
      const room = MORNING_HOURS.reduce((a, b) => a + b, 0) * HOUR_MS * 2;
      return ZONES.filter((zone) => nextLocalTime(zone, '09:00', span.start) <= span.end - room);
    },
    firstDue: (zone, start) => nextLocalTime(zone, '09:00', start),
  },
];

/**
 * Drip sequences with several steps — at enrollment, at 09:00 in the recipient's zone, then
 * elapsed hours after the previous step was sent — and bulk enrollments across zones (every
 * tenth without a zone of its own, so the sequence's applies), one address repeated in other
 * case. Each enrollment must receive every step, in order, exactly once.
 */
export function sequenceWorkload(options: { seed: number; plans?: readonly SequencePlan[] }): Workload {
  const plans = options.plans ?? SEQUENCES;
  const created: Array<{ id: number; enrollments: number }> = [];
  return {
    name: 'sequences',
    async seed(scheduler, clock) {
      const span = spanOf(clock);
      const random = mulberry32(options.seed ^ 0x5e9);
      const keys = new Set<string>();
      for (const [s, plan] of plans.entries()) {
        const zones = plan.zones(span);
        if (zones.length < 5) throw new Error(`${plan.name}: only ${zones.length} zones fit the span`);
        const sequence = await scheduler.sequences.create({
          name: plan.name,
          timezone: plan.timezone,
          steps: plan.steps.map((step, i) => ({ ...step, templateId: 100 * (s + 1) + i + 1 })),
        });
        const zoneOf = new Map<string, string>();
        const recipients = Array.from({ length: plan.enrollments }, (_, j) => {
          const email = `sq${s}.${j}@sequences.reliability.test`;
          const own = j % 10 === 0 ? null : zones[Math.floor(random() * zones.length)]!;
          zoneOf.set(email, own ?? plan.timezone);
          return {
            email,
            data: own ? { name: `Enrollee ${s}.${j}`, timezone: own } : { name: `Enrollee ${s}.${j}` },
          };
        });
        const result = await scheduler.sequences.enrollRecipients(sequence.id, [
          ...recipients,
          { email: recipients[1]!.email.toUpperCase() },
        ]);
        if (
          result.enrolled !== plan.enrollments ||
          result.alreadyEnrolled !== 1 ||
          result.invalid.length > 0
        ) {
          throw new Error(`${plan.name}: enrollRecipients answered ${JSON.stringify(result)}`);
        }
        for (let offset = 0; offset < plan.enrollments; offset += 500) {
          const page = await scheduler.sequences.listEnrollments(sequence.id, { limit: 500, offset });
          for (const enrollment of page.items) {
            const zone = zoneOf.get(enrollment.recipientEmail);
            const due = zone === undefined ? undefined : plan.firstDue(zone, span.start);
            if (enrollment.timezone !== zone || enrollment.nextSendAt?.getTime() !== due) {
              throw new Error(
                `${plan.name}: enrollment of ${enrollment.recipientEmail} in ${enrollment.timezone} is due ` +
                  `${enrollment.nextSendAt?.toISOString() ?? 'never'}; the oracle says ${zone}, ` +
                  `${due === undefined ? 'not enrolled' : iso(due)}`,
              );
            }
            for (const step of sequence.steps) keys.add(`sequence:${enrollment.id}:step:${step.id}`);
          }
        }
        created.push({ id: sequence.id, enrollments: plan.enrollments });
      }
      const count = plans.reduce((n, p) => n + p.enrollments * p.steps.length, 0);
      if (keys.size !== count) throw new Error(`sequences: ${keys.size} step keys, expected ${count}`);
      return { workload: this.name, sourceType: 'sequence', count, keys };
    },
    async verify(scheduler) {
      const problems: string[] = [];
      for (const { id, enrollments } of created) {
        const { enrollmentCounts } = await scheduler.sequences.get(id);
        if (enrollmentCounts.completed !== enrollments || enrollmentCounts.total !== enrollments) {
          problems.push(
            `sequence ${id}: enrollments ${JSON.stringify(enrollmentCounts)}, ${enrollments} to complete`,
          );
        }
      }
      return problems;
    },
  };
}

// --- timezone batches ------------------------------------------------------------------------

interface BatchCall {
  campaignId: number;
  /** 'HH:mm' (each zone's next), or with a date (the span's start date in UTC). */
  time: string;
  withDate: boolean;
  recipients: number;
  /** Recipients without a timezone, and with one that is not an IANA name. */
  missing: number;
  invalid: number;
  fallbackTimezone?: string;
}

export const BATCH_CALLS: readonly BatchCall[] = [
  { campaignId: 7001, time: '09:00', withDate: false, recipients: 1800, missing: 15, invalid: 10 },
  { campaignId: 7002, time: '12:00', withDate: true, recipients: 1300, missing: 0, invalid: 0 },
  {
    campaignId: 7003,
    time: '18:30',
    withDate: false,
    recipients: 900,
    missing: 10,
    invalid: 0,
    fallbackTimezone: 'America/Sao_Paulo',
  },
];

const INVALID_ZONES = ['Mars/Olympus_Mons', '+05:30', 'europe/berlin', 'UTC+1', 'Asia/Kolkatta'];

/**
 * createTimezoneBatches for recipients spread over the zones whose target local time falls in
 * the span: each zone's next 09:00 and 18:30, and 12:00 on the start date with the default
 * `next-day` policy for zones where it has passed. Some recipients have no zone or an invalid
 * one (they go in the fallback zone), and some are repeated in other case (dropped).
 */
export function batchWorkload(options: { seed: number; calls?: readonly BatchCall[] }): Workload {
  const calls = options.calls ?? BATCH_CALLS;
  return {
    name: 'batches',
    async seed(scheduler, clock) {
      const span = spanOf(clock);
      const random = mulberry32(options.seed ^ 0xba7);
      const keys = new Set<string>();
      let count = 0;
      for (const call of calls) {
        const date = call.withDate ? localDate('UTC', span.start) : null;
        const instantIn = (zone: string) =>
          date === null
            ? nextLocalTime(zone, call.time, span.start)
            : nextLocalTime(zone, call.time, span.start, date);
        const zones = ZONES.filter((zone) => {
          const at = instantIn(zone);
          return at >= span.start && at <= span.end;
        });
        if (zones.length < 10)
          throw new Error(`campaign ${call.campaignId}: only ${zones.length} zones fit the span`);
        const fallback = call.fallbackTimezone ?? 'UTC';
        if (!zones.includes(fallback as (typeof ZONES)[number]))
          throw new Error(`campaign ${call.campaignId}: the fallback zone ${fallback} does not fit the span`);

        const input: Array<{ email: string; timezone?: string; name: string }> = [];
        const groups = new Map<number, string[]>();
        const add = (email: string, given: string | undefined, zone: string) => {
          input.push({
            email,
            name: `Batch ${email.split('@')[0]}`,
            ...(given === undefined ? {} : { timezone: given }),
          });
          const at = instantIn(zone);
          const group = groups.get(at);
          if (group) group.push(email);
          else groups.set(at, [email]);
        };
        for (let j = 0; j < call.recipients; j++) {
          const zone = zones[Math.floor(random() * zones.length)]!;
          add(`b${call.campaignId}.${j}@batches.reliability.test`, zone, zone);
        }
        for (let j = 0; j < call.missing; j++)
          add(`b${call.campaignId}.m${j}@batches.reliability.test`, j % 2 === 0 ? undefined : '', fallback);
        for (let j = 0; j < call.invalid; j++)
          add(
            `b${call.campaignId}.i${j}@batches.reliability.test`,
            INVALID_ZONES[j % INVALID_ZONES.length],
            fallback,
          );
        const unique = input.length;
        // Repeats in other case, each with another zone: the first occurrence wins.
        const duplicates = [0, 7, 42].map((j) => ({
          ...input[j]!,
          email: input[j]!.email.toUpperCase(),
          timezone: 'Asia/Tokyo',
        }));
        const result = await scheduler.batches.createTimezoneBatches(
          call.campaignId,
          [...input.slice(0, 50), ...duplicates, ...input.slice(50)],
          date === null ? call.time : { time: call.time, date },
          {
            message: { subject: `Batch campaign ${call.campaignId}`, templateId: call.campaignId },
            ...(call.fallbackTimezone ? { fallbackTimezone: call.fallbackTimezone } : {}),
          },
        );
        const summary = {
          received: result.received,
          duplicatesRemoved: result.duplicatesRemoved,
          scheduledCount: result.scheduledCount,
          skippedCount: result.skippedCount,
          fallback: result.fallback.count,
        };
        const wanted = {
          received: unique + duplicates.length,
          duplicatesRemoved: duplicates.length,
          scheduledCount: unique,
          skippedCount: 0,
          fallback: call.missing + call.invalid,
        };
        if (JSON.stringify(summary) !== JSON.stringify(wanted)) {
          throw new Error(
            `campaign ${call.campaignId}: created ${JSON.stringify(summary)}, expected ${JSON.stringify(wanted)}`,
          );
        }
        const byInstant = new Map(result.batches.map((b) => [b.scheduledFor.getTime(), b]));
        const engine = [...byInstant.entries()].map(([at, b]) => `${iso(at)}x${b.recipientCount}`).sort();
        const oracle = [...groups.entries()].map(([at, emails]) => `${iso(at)}x${emails.length}`).sort();
        if (result.batches.length !== byInstant.size || engine.join(',') !== oracle.join(',')) {
          throw new Error(
            `campaign ${call.campaignId}: the engine's batches [${engine.join(', ')}] ` +
              `differ from the oracle's [${oracle.join(', ')}]`,
          );
        }
        for (const [at, emails] of groups) {
          const batch = byInstant.get(at)!;
          for (const email of emails) keys.add(`batch:${batch.id}:${email}`);
        }
        count += unique;
      }
      if (keys.size !== count) throw new Error(`batches: ${keys.size} keys, expected ${count}`);
      return { workload: this.name, sourceType: 'batch', count, keys };
    },
    async verify(scheduler) {
      const problems: string[] = [];
      for (const call of calls) {
        const page = await scheduler.batches.list({ campaignId: call.campaignId, limit: 500 });
        for (const batch of page.items) {
          const { counts } = batch;
          if (
            batch.status !== 'done' ||
            counts.sent !== batch.recipientCount ||
            counts.enqueued !== batch.recipientCount
          ) {
            problems.push(
              `batch ${batch.id} (campaign ${call.campaignId}): ${batch.status}, counts ${JSON.stringify(counts)}`,
            );
          }
        }
      }
      return problems;
    },
  };
}

/** The three engine workloads, about 13,600 deliveries over a 24-hour span. */
export function engineWorkloads(seed: number): Workload[] {
  return [recurringWorkload(), sequenceWorkload({ seed }), batchWorkload({ seed })];
}

/** A day of work for the many-process and crash harnesses: `direct` outbox messages and the engines' work. */
export function dayOfWork(seed: number, direct: number): Workload[] {
  return [directWorkload({ count: direct, seed, parallel: 12 }), ...engineWorkloads(seed)];
}

/** All expected deliveries, and those of the engines (every source but `direct`). */
export function totals(expected: readonly ExpectedDeliveries[]): { total: number; fromEngines: number } {
  const total = expected.reduce((n, e) => n + e.count, 0);
  const direct = expected.filter((e) => e.sourceType === 'direct').reduce((n, e) => n + e.count, 0);
  return { total, fromEngines: total - direct };
}
