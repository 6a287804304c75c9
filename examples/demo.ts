/**
 * `npm run demo` — two weeks of a mail server's scheduling, simulated in a few seconds.
 *
 * An embedded SQLite file (in a temp directory) and a fake clock: the loop below ticks the
 * scheduler every 5 simulated minutes from Sunday 22 March to Sunday 5 April 2026, a window
 * that holds the EU's spring-forward (29 March, 01:00 UTC). Three engines run side by side:
 *
 * - a weekly recurring campaign (Mondays 09:00 Europe/Berlin) for a host-registered list;
 * - a 4-step drip sequence for 50 people who sign up over the first days, in 18 zones;
 * - a timezone batch: 1,000 recipients get a campaign at 09:00 on 29 March in their own zone.
 *
 * The transport is the demo's own: it records each send and, to show the outbox at work,
 * fails now and then (retried with backoff) and hard-bounces one address (dead-lettered).
 * At the end the demo checks its own claims and exits non-zero if one does not hold.
 *
 * It imports the library's source so it runs on a fresh clone without a build; a host writes
 * `from 'tickwork'`, `from 'tickwork/sqlite'` and `from 'tickwork/testing'` instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createScheduler,
  isValidTimezone,
  PermanentDeliveryError,
  toLocalDateTime,
  type OutgoingMessage,
  type Recipient,
  type SendContext,
  type Transport,
} from '../src/index.js';
import { sqliteStore } from '../src/sqlite/index.js';
import { FakeClock } from '../src/testing/index.js';

const START = new Date('2026-03-22T00:00:00Z'); // a Sunday
const DAYS = 14;
const END = new Date(START.getTime() + DAYS * 86_400_000);
const TICK_EVERY_MS = 5 * 60_000; // every zone's offset is a multiple of 15 min, so 09:00 local is always on a tick
const BATCH_DATE = '2026-03-29'; // the EU's spring-forward day
const FALLBACK_ZONE = 'UTC';

/** Where the recipients live (weights: how many of every 100 batch recipients). */
const ZONES: Array<[zone: string, weight: number]> = [
  ['America/Los_Angeles', 8],
  ['America/Denver', 3],
  ['America/Chicago', 6],
  ['America/New_York', 12],
  ['America/Sao_Paulo', 5],
  ['Europe/London', 8],
  ['Europe/Berlin', 12],
  ['Europe/Helsinki', 4],
  ['Africa/Lagos', 4],
  ['Asia/Dubai', 3],
  ['Asia/Kolkata', 9],
  ['Asia/Kathmandu', 2],
  ['Asia/Shanghai', 6],
  ['Asia/Tokyo', 6],
  ['Australia/Sydney', 5],
  ['Australia/Lord_Howe', 1],
  ['Pacific/Auckland', 4],
  ['Pacific/Chatham', 2],
];

// ---------------------------------------------------------------------------------------
// Output helpers

const interactive = process.stdout.isTTY === true;
const color = (code: number) => (text: string) => (interactive ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = color(1);
const dim = color(2);
const green = color(32);
const yellow = color(33);
const out = (line = '') => process.stdout.write(`${line.trimEnd()}\n`);
const num = (n: number) => n.toLocaleString('en-US');
const pad = (text: string | number, width: number) => String(text).padStart(width);
const padEnd = (text: string | number, width: number) => String(text).padEnd(width);
const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** 'Sun 29 Mar' of a UTC instant. */
const utcDay = (d: Date) => `${WEEKDAY[d.getUTCDay()]} ${pad(d.getUTCDate(), 2)} ${MONTH[d.getUTCMonth()]}`;
/** '07:00Z' */
const utcTime = (d: Date) => `${d.toISOString().slice(11, 16)}Z`;
/** 'Sun 29 Mar 09:00' on the zone's wall clock. */
function localStamp(d: Date, zone: string): string {
  const local = toLocalDateTime(d, zone); // 'YYYY-MM-DDTHH:mm:ss'
  return `${utcDay(new Date(`${local.slice(0, 10)}T00:00:00Z`))} ${local.slice(11, 16)}`;
}
const localHour = (d: Date, zone: string) => Number(toLocalDateTime(d, zone).slice(11, 13));
/** The zone's UTC offset at an instant, in minutes. */
function offsetMinutes(d: Date, zone: string): number {
  return Math.round((Date.parse(`${toLocalDateTime(d, zone)}Z`) - d.getTime()) / 60_000);
}
function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
const bar = (value: number, max: number, width: number) =>
  value === 0 ? '' : '█'.repeat(Math.max(1, Math.round((value / max) * width)));

/** A small seeded PRNG, so every run of the demo is the same. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------
// The people

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Linus', 'Radia', 'Tim'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Thompson', 'Hamilton', 'Perlman', 'Lee'];
const random = prng(2026);
const pickZone = (() => {
  const total = ZONES.reduce((sum, [, w]) => sum + w, 0);
  return () => {
    let r = random() * total;
    for (const [zone, weight] of ZONES) if ((r -= weight) < 0) return zone;
    return ZONES[0]![0];
  };
})();
const person = (prefix: string, i: number, timezone?: string): Recipient => ({
  email: `${prefix}${String(i).padStart(4, '0')}@example.org`,
  name: `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]}`,
  ...(timezone === undefined ? {} : { timezone }),
});

/** 1,000 batch recipients: most in a known zone, 8 without one, 2 with a zone that does not exist. */
const batchRecipients: Recipient[] = [];
for (let i = 1; i <= 990; i++) batchRecipients.push(person('customer', i, pickZone()));
for (let i = 991; i <= 998; i++) batchRecipients.push(person('customer', i));
batchRecipients.push(person('customer', 999, 'Mars/Olympus_Mons'), person('customer', 1000, 'Europe/Berln'));
const BOUNCING = batchRecipients[41]!.email; // a hard bounce: dead-lettered at once, never retried

/** 50 sign-ups over the first three and a half days, each in their own zone. */
const signups = Array.from({ length: 50 }, (_, i) => ({
  at: new Date(START.getTime() + Math.round((i * 100 + random() * 60) / 5) * TICK_EVERY_MS),
  recipient: person('signup', i + 1, ZONES[(i * 5) % ZONES.length]![0]),
}));

/** The host's own subscriber list, served to the recurring campaign by a registered source. */
const subscribers = Array.from({ length: 40 }, (_, i) =>
  person('reader', i + 1, ['Europe/Berlin', 'Europe/Paris', 'Europe/Vienna'][i % 3]),
);

// ---------------------------------------------------------------------------------------
// The scheduler

interface SendRecord {
  at: Date;
  key: string;
  type: OutgoingMessage['origin']['type'];
  to: string;
  zone: string;
  stepOrder: number | null;
  attempt: number;
}

const clock = new FakeClock(START);
const sends: SendRecord[] = [];
const seenKeys = new Set<string>();
let duplicateSends = 0;
let transportCalls = 0;

const demoTransport: Transport = {
  async send(message: OutgoingMessage, { idempotencyKey, attempt }: SendContext) {
    transportCalls += 1;
    if (message.to === BOUNCING) throw new PermanentDeliveryError(`550 5.1.1 <${message.to}>: no such user`);
    // Every 53rd call fails the way a busy SMTP relay does; the outbox retries it with backoff.
    if (transportCalls % 53 === 0) throw new Error('421 4.7.0 try again later');
    if (seenKeys.has(idempotencyKey)) duplicateSends += 1;
    seenKeys.add(idempotencyKey);
    const zone = typeof message.recipient.timezone === 'string' ? message.recipient.timezone : '';
    sends.push({
      at: clock.now(),
      key: idempotencyKey,
      type: message.origin.type,
      to: message.to,
      zone: isValidTimezone(zone) ? zone : FALLBACK_ZONE,
      stepOrder: message.origin.type === 'sequence' ? message.origin.stepOrder : null,
      attempt,
    });
    return { messageId: `<${idempotencyKey}@demo.tickwork>` };
  },
};

const dir = mkdtempSync(join(tmpdir(), 'tickwork-demo-'));
const dbPath = join(dir, 'mailer.db');
const scheduler = createScheduler({
  // NORMAL is safe against a process crash in WAL mode and keeps the demo quick.
  store: sqliteStore(dbPath, { synchronous: 'NORMAL' }),
  transport: demoTransport,
  recipientSources: { subscribers: async () => subscribers },
  options: {
    clock: clock.now,
    random: prng(7),
    retry: { baseDelayMs: 60_000 },
    batches: { fallbackTimezone: FALLBACK_ZONE },
  },
});

let retried = 0;
const dead: Array<{ to: string; error: string }> = [];
scheduler.events.on('delivery:retrying', () => (retried += 1));
scheduler.events.on('delivery:dead', (e) => dead.push({ to: e.to, error: String(e.error) }));

const started = performance.now();
out(bold('tickwork demo') + dim(` — two weeks of scheduling, simulated on SQLite (${dbPath})`));
out();
await scheduler.migrate();

const digest = await scheduler.recurring.create({
  name: 'Weekly digest',
  subject: 'Your week at Acme',
  templateId: 1,
  recipientSource: 'subscribers',
  scheduleCron: '0 9 * * 1',
  timezone: 'Europe/Berlin',
});
const onboarding = await scheduler.sequences.create({
  name: 'Onboarding',
  steps: [
    { subject: 'Welcome to Acme', templateId: 10 },
    { subject: 'Getting started', templateId: 11, delayDays: 1, sendTime: '09:00' },
    { subject: 'Three tips', templateId: 12, delayDays: 2, sendTime: '09:00' },
    { subject: 'How is it going?', templateId: 13, delayDays: 5, sendTime: '09:00' },
  ],
});
const batch = await scheduler.batches.createTimezoneBatches(
  7,
  batchRecipients,
  { time: '09:00', date: BATCH_DATE },
  { message: { subject: 'Spring sale', templateId: 20 } },
);

out(
  `${green('✓')} recurring  '${digest.name}': cron '${digest.scheduleCron}' in ${digest.timezone}, ` +
    `${subscribers.length} subscribers from the host's own 'subscribers' source`,
);
out(
  `${green('✓')} sequence   '${onboarding.name}': 4 steps (at sign-up; then +1, +2, +5 days at 09:00 local), ` +
    `${signups.length} sign-ups to come`,
);
out(
  `${green('✓')} batches    'Spring sale': ${num(batch.received)} recipients at 09:00 local on ${BATCH_DATE} ` +
    `-> ${batch.batches.length} batches (one per send instant); ${batch.fallback.count} without a valid zone get ${batch.fallback.timezone}`,
);
out();

// ---------------------------------------------------------------------------------------
// Two weeks, a tick every 5 minutes

let ticks = 0;
let nextSignup = 0;
for (let t = START.getTime(); t < END.getTime(); t += TICK_EVERY_MS) {
  const now = clock.set(t);
  while (nextSignup < signups.length && signups[nextSignup]!.at.getTime() <= t) {
    const { recipient } = signups[nextSignup++]!;
    await scheduler.sequences.enrollRecipient(onboarding.id, recipient.email, {
      name: recipient.name,
      timezone: recipient.timezone,
    });
  }
  let summary;
  do {
    summary = await scheduler.tick(now);
    ticks += 1;
  } while (summary.moreDue);

  const nextT = t + TICK_EVERY_MS;
  if (nextT % 86_400_000 === 0) {
    const day = Math.round((nextT - START.getTime()) / 86_400_000);
    const line = `  simulating… day ${pad(day, 2)}/${DAYS}  ${utcDay(now)}  ${pad(num(ticks), 5)} ticks  ${pad(num(sends.length), 5)} sent`;
    if (interactive) process.stdout.write(`\r${line}`);
    else out(line);
  }
}
const elapsedS = (performance.now() - started) / 1000;
if (interactive) out();
out(dim(`  done: ${num(ticks)} ticks in ${elapsedS.toFixed(1)} s of real time`));
out();

// ---------------------------------------------------------------------------------------
// What happened

const counts = await scheduler.deliveries.counts();
const runs = (await scheduler.recurring.listRuns(digest.id)).items;
const enrollments = (await scheduler.sequences.listEnrollments(onboarding.id, { limit: 500 })).items;
const batches = (await scheduler.batches.list({ campaignId: 7, limit: 500 })).items;
await scheduler.close();
rmSync(dir, { recursive: true, force: true });

// DST transitions of the zones in play, found by scanning their offsets every 15 minutes.
interface Transition {
  at: Date;
  zones: Array<{ zone: string; from: number; to: number }>;
}
const transitions: Transition[] = [];
for (const [zone] of [...ZONES, ['Europe/Paris', 0] as const, ['Europe/Vienna', 0] as const]) {
  let previous = offsetMinutes(START, zone);
  for (let t = START.getTime() + 900_000; t <= END.getTime(); t += 900_000) {
    const offset = offsetMinutes(new Date(t), zone);
    if (offset !== previous) {
      const found = transitions.find((x) => x.at.getTime() === t);
      const entry = { zone, from: previous, to: offset };
      if (found) found.zones.push(entry);
      else transitions.push({ at: new Date(t), zones: [entry] });
      previous = offset;
    }
  }
}
transitions.sort((a, b) => a.at.getTime() - b.at.getTime());

// 1. The timeline: sends per day by engine, with what happened that day.
out(bold('Timeline') + dim(' — sends per UTC day'));
const dayIndex = (d: Date) => Math.floor((d.getTime() - START.getTime()) / 86_400_000);
const perDay = Array.from({ length: DAYS }, () => ({
  recurring: 0,
  sequence: 0,
  batch: 0,
  notes: [] as string[],
}));
for (const s of sends) {
  const day = perDay[dayIndex(s.at)];
  if (day && (s.type === 'recurring' || s.type === 'sequence' || s.type === 'batch')) day[s.type] += 1;
}
const signupsPerDay = new Map<number, number>();
for (const s of signups) signupsPerDay.set(dayIndex(s.at), (signupsPerDay.get(dayIndex(s.at)) ?? 0) + 1);
for (const [day, n] of signupsPerDay) perDay[day]?.notes.push(`${n} sign-ups`);
for (const run of runs) {
  if (!run.startedAt) continue;
  perDay[dayIndex(run.scheduledAt)]?.notes.push(
    `digest run at ${utcTime(run.scheduledAt)} = ${localStamp(run.scheduledAt, digest.timezone).slice(-5)} Berlin`,
  );
}
const batchesPerDay = new Map<number, typeof batches>();
for (const b of [...batches].sort((x, y) => x.scheduledFor.getTime() - y.scheduledFor.getTime())) {
  const day = dayIndex(b.scheduledFor);
  batchesPerDay.set(day, [...(batchesPerDay.get(day) ?? []), b]);
}
const city = (zone: string) => zone.split('/').pop()!.replace(/_/g, ' ');
for (const [day, list] of batchesPerDay) {
  const first = list[0]!;
  const last = list.at(-1)!;
  perDay[day]?.notes.push(
    `${list.length} batch instants ${utcTime(first.scheduledFor)}–${utcTime(last.scheduledFor)} ` +
      `(09:00 in ${city(first.timezones[0]!.timezone)} … ${city(last.timezones.at(-1)!.timezone)})`,
  );
}
for (const tr of transitions) {
  const ahead = tr.zones[0]!.to > tr.zones[0]!.from;
  perDay[dayIndex(tr.at)]?.notes.push(
    yellow(
      `${utcTime(tr.at)} clocks ${ahead ? 'forward' : 'back'}: ${tr.zones.map((z) => z.zone).join(', ')}`,
    ),
  );
}
const maxPerDay = Math.max(...perDay.map((d) => d.recurring + d.sequence + d.batch));
out(dim(`  ${padEnd('day', 10)}  ${pad('recur', 5)} ${pad('seq', 4)} ${pad('batch', 5)} ${pad('total', 5)}`));
perDay.forEach((d, i) => {
  const date = new Date(START.getTime() + i * 86_400_000);
  const total = d.recurring + d.sequence + d.batch;
  out(
    `  ${utcDay(date)}  ${pad(d.recurring || '·', 5)} ${pad(d.sequence || '·', 4)} ${pad(d.batch || '·', 5)} ` +
      `${pad(num(total), 5)}  ${padEnd(bar(total, maxPerDay, 16), 16)}`,
  );
  for (const note of d.notes) out(`  ${' '.repeat(10)}  ${dim('↳')} ${note}`);
});
out();

// 2. Local hours: every timed send at 09:00 on its recipient's own clock.
const timed = sends.filter((s) => s.type === 'batch' || (s.type === 'sequence' && s.stepOrder! > 1));
const immediate = sends.filter((s) => s.type === 'sequence' && s.stepOrder === 1);
const hours = Array.from({ length: 24 }, () => ({ timed: 0, immediate: 0 }));
for (const s of timed) hours[localHour(s.at, s.zone)]!.timed += 1;
for (const s of immediate) hours[localHour(s.at, s.zone)]!.immediate += 1;
const timedZones = new Set(timed.map((s) => s.zone));
const maxHour = Math.max(...hours.map((h) => h.timed));
out(bold("Sends by the recipient's own local hour"));
out(
  dim('  timed = the batch and sequence steps 2-4 (target 09:00 local); welcome = step 1, sent at sign-up'),
);
out(dim(`  ${padEnd('hour', 11)} ${pad('timed', 6)}  ${padEnd('', 24)} ${pad('welcome', 7)}`));
hours.forEach((h, hour) => {
  const label = `${String(hour).padStart(2, '0')}:00-${String(hour).padStart(2, '0')}:59`;
  out(
    `  ${label} ${pad(h.timed || '·', 6)}  ${padEnd(bar(h.timed, maxHour, 24), 24)} ${pad(h.immediate || '·', 7)}`,
  );
});
const atNine = hours[9]!.timed;
out(
  `  ${atNine === timed.length ? green('✓') : yellow('✗')} ${num(atNine)} of ${num(timed.length)} timed sends ` +
    `went out in the 09:00 hour of the recipient's clock, across ${timedZones.size} zones`,
);
out();

// 3. The batch, zone by zone.
out(bold(`Timezone batch 'Spring sale'`) + dim(` — 09:00 local on ${BATCH_DATE}, created ${utcDay(START)}`));
out(
  dim(
    `  ${padEnd('zone', 21)} ${pad('people', 6)}  ${padEnd('sent at (UTC)', 17)} ${padEnd('local time', 16)} offset`,
  ),
);
const rows = batches
  .flatMap((b) => b.timezones.map((z) => ({ at: b.scheduledFor, ...z })))
  .sort((a, b) => a.at.getTime() - b.at.getTime() || a.timezone.localeCompare(b.timezone));
for (const row of rows) {
  const created = offsetMinutes(START, row.timezone);
  const then = offsetMinutes(row.at, row.timezone);
  const change = created === then ? '' : yellow(` (was ${formatOffset(created)} at creation)`);
  const fallback = row.fallbackCount > 0 ? dim(` ${row.fallbackCount} by fallback`) : '';
  out(
    `  ${padEnd(row.timezone, 21)} ${pad(row.recipientCount, 6)}  ${padEnd(`${utcDay(row.at)} ${utcTime(row.at)}`, 17)} ` +
      `${padEnd(localStamp(row.at, row.timezone), 16)} ${formatOffset(then)}${change}${fallback}`,
  );
}
const sharing = batches.filter((b) => b.timezones.length > 1);
out(
  dim(
    `  ${batches.length} batches for ${rows.length} zones: zones that share an instant share a batch` +
      (sharing.length
        ? ` (${sharing.map((b) => b.timezones.map((z) => z.timezone).join(' + ')).join('; ')})`
        : ''),
  ),
);
out(
  dim(
    `  ${batch.fallback.count} without a valid zone got ${batch.fallback.timezone} and were reported, e.g. ` +
      batch.fallback.recipients
        .filter((r, i) => i === 0 || r.given !== null)
        .map((r) => `${r.email} (${r.given === null ? 'no zone' : `'${r.given}'`})`)
        .join(', '),
  ),
);
out();

// 4. The DST change.
out(bold('What happened on the DST change'));
for (const tr of transitions) {
  const zones = tr.zones.map((z) => `${z.zone} ${formatOffset(z.from)}→${formatOffset(z.to)}`);
  for (let i = 0; i < zones.length; i += 3) {
    const when = i === 0 ? `${utcDay(tr.at)} ${utcTime(tr.at)}` : '';
    out(`  ${padEnd(when, 17)}  ${zones.slice(i, i + 3).join(', ')}`);
  }
}
out(
  dim(
    '  (the US moved its clocks on 8 March, before this window: New York was already at -04:00 throughout)',
  ),
);
const euChange = transitions.find((tr) => tr.zones.some((z) => z.zone === 'Europe/Berlin'));
if (euChange) {
  out(`  09:00 local, as actually sent before and after ${utcDay(euChange.at)} ${utcTime(euChange.at)}:`);
  for (const { zone } of euChange.zones) {
    const nine = timed.filter((s) => s.zone === zone && localHour(s.at, zone) === 9);
    const before = nine.filter((s) => s.at < euChange.at).at(-1);
    const after = nine.find((s) => s.at > euChange.at);
    if (!before || !after) continue;
    out(
      `    ${padEnd(zone, 16)} ${utcDay(before.at)} ${utcTime(before.at)} (${formatOffset(offsetMinutes(before.at, zone))})` +
        `  →  ${utcDay(after.at)} ${utcTime(after.at)} (${formatOffset(offsetMinutes(after.at, zone))})`,
    );
  }
}
const digestRuns = runs
  .filter((r) => r.status === 'completed')
  .sort((a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime());
out(`  '${digest.name}' (${digest.scheduleCron}, ${digest.timezone}) ran at`);
for (const r of digestRuns) {
  const berlinTime = localStamp(r.scheduledAt, digest.timezone).slice(-5);
  out(`    ${utcDay(r.scheduledAt)} ${utcTime(r.scheduledAt)} = ${berlinTime} Berlin time`);
}
const berlin = rows.find((r) => r.timezone === 'Europe/Berlin');
if (berlin) {
  // What a scheduler that fixed the UTC offset when the batch was created would have done.
  const shift = (offsetMinutes(berlin.at, 'Europe/Berlin') - offsetMinutes(START, 'Europe/Berlin')) * 60_000;
  const naive = new Date(berlin.at.getTime() + shift);
  out(
    `  The batch was created when Berlin was at ${formatOffset(offsetMinutes(START, 'Europe/Berlin'))}; it went at ` +
      `${utcTime(berlin.at)} = ${localStamp(berlin.at, 'Europe/Berlin').slice(-5)} local, ` +
      `not at ${utcTime(naive)} (= ${localStamp(naive, 'Europe/Berlin').slice(-5)} local) as that offset would say`,
  );
}
out();

// 5. Summary.
const byType = (type: SendRecord['type']) => sends.filter((s) => s.type === type).length;
const statuses = enrollments.reduce<Record<string, number>>((acc, e) => {
  acc[e.status] = (acc[e.status] ?? 0) + 1;
  return acc;
}, {});
out(bold('Summary'));
out(`  simulated        ${DAYS} days, ${utcDay(START)} → ${utcDay(END)} 2026, ${num(ticks)} ticks`);
out(
  `  sent             ${num(sends.length)}: recurring ${byType('recurring')} (${digestRuns.length} runs × ${subscribers.length}), ` +
    `sequence ${byType('sequence')}, batch ${num(byType('batch'))}`,
);
out(
  `  enrollments      ${Object.entries(statuses)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ')}`,
);
out(
  `  outbox           ${Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${status} ${num(n)}`)
    .join(', ')}`,
);
out(
  `  transient errors ${retried} (retried with backoff, all delivered later with the same idempotency key)`,
);
out(`  dead-lettered    ${dead.length}${dead.map((d) => ` — ${d.to}: ${d.error}`).join('')}`);
out(`  sent twice       ${duplicateSends}`);
out(`  real time        ${((performance.now() - started) / 1000).toFixed(1)} s`);
out();

// The demo's own claims; a failed one makes it exit non-zero.
const expectedSequence = signups.length * 4;
const claims: Array<[string, boolean]> = [
  ['no message was sent twice', duplicateSends === 0 && seenKeys.size === sends.length],
  ['every timed send went out at 09:00 local', atNine === timed.length && timed.length > 0],
  [`every sign-up got all 4 steps (${expectedSequence})`, byType('sequence') === expectedSequence],
  [
    'every batch recipient was sent to, except the hard bounce',
    byType('batch') === batch.received - 1 && dead.length === 1 && dead[0]!.to === BOUNCING,
  ],
  ['the digest ran on both Mondays for every subscriber', byType('recurring') === 2 * subscribers.length],
  ['nothing left pending in the outbox', counts.pending + counts.sending + counts.retrying === 0],
];
for (const [claim, holds] of claims) out(`  ${holds ? green('✓') : yellow('✗')} ${claim}`);
const failed = claims.filter(([, holds]) => !holds);
if (failed.length > 0) {
  out(yellow(`\n${failed.length} claim(s) did not hold`));
  process.exit(1);
}
