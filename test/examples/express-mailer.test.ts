import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { toLocalDateTime } from 'tickwork';
import { FakeClock } from 'tickwork/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailer, type Mailer } from '../../examples/express-mailer/server.js';
import type { SentMail } from '../../examples/express-mailer/transport.js';

// The example as the mailer runs it, in this process on a free port: its routes over real
// HTTP with its auth, its scheduler job driven by hand with a fake clock instead of waiting.
const TOKEN = 'test-token';
const clock = new FakeClock('2026-03-27T06:00:00Z'); // a Friday; the EU moves its clocks on Sunday
let dir: string;
let mailer: Mailer;
/** When each sent message went out (the tick's instant), by idempotency key. */
const sentAt = new Map<string, Date>();

async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, token = TOKEN) {
  const response = await fetch(`${mailer.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function tickAt(at: Date): Promise<void> {
  clock.set(at);
  const before = mailer.transport.sent.length;
  await mailer.tick(at);
  for (const mail of mailer.transport.sent.slice(before)) sentAt.set(key(mail), at);
}

/** Ticks every 15 minutes up to and including `until`, as the mailer's minute job would (coarser, for speed). */
async function runTo(until: string): Promise<void> {
  const end = new Date(until).getTime();
  for (let t = clock.date().getTime() + 15 * 60_000; t <= end; t += 15 * 60_000) await tickAt(new Date(t));
}

const key = (mail: SentMail) => mail.headers['x-idempotency-key'] ?? mail.headers['X-Idempotency-Key']!;
const to = (mail: SentMail) => mail.to.map((a) => a.address).join(',');
const mailsTo = (address: string) => mailer.transport.sent.filter((m) => to(m) === address);
const local = (mail: SentMail, zone: string) => toLocalDateTime(sentAt.get(key(mail))!, zone).slice(0, 16);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickwork-express-example-'));
  mailer = await startMailer({
    port: 0,
    dbPath: join(dir, 'mailer.db'),
    now: clock.now,
    token: TOKEN,
    tickEveryMs: false,
  });
});

afterAll(async () => {
  await mailer?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('examples/express-mailer', () => {
  it('keeps the API behind the mailer auth', async () => {
    expect((await api('GET', '/recurring', undefined, 'wrong')).status).toBe(401);
    const response = await fetch(`${mailer.url}/sequences`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
    expect((await api('GET', '/sequences')).body).toMatchObject({ total: 0 });
    // The mailer's own routes live beside tickwork's under /api.
    expect((await api<{ items: unknown[] }>('GET', '/templates')).body.items).toHaveLength(4);
  });

  let campaignId: number;
  let sequenceId: number;
  let batchIds: number[];

  it('creates a campaign, a sequence with enrollments and timezone batches over HTTP', async () => {
    const campaign = await api<{ id: number; nextRunAt: string }>('POST', '/recurring', {
      name: 'Weekly digest',
      subject: 'Your weekly digest',
      templateId: 1,
      recipientSource: 'contacts',
      recipientData: { list: 'newsletter' },
      scheduleCron: '0 9 * * 1',
      timezone: 'Europe/Berlin',
    });
    expect(campaign.status).toBe(201);
    // Monday 30 March 09:00 in Berlin is already summer time: 07:00 UTC.
    expect(campaign.body.nextRunAt).toBe('2026-03-30T07:00:00.000Z');
    campaignId = campaign.body.id;

    const sequence = await api<{ id: number }>('POST', '/sequences', {
      name: 'Onboarding',
      steps: [
        { subject: 'Welcome!', templateId: 2 },
        { subject: 'Tips', templateId: 3, delayDays: 1, sendTime: '09:00' },
      ],
    });
    expect(sequence.status).toBe(201);
    sequenceId = sequence.body.id;
    const enrolled = await api('POST', `/sequences/${sequenceId}/enroll`, {
      recipients: [
        { email: 'linus@example.org', name: 'Linus', timezone: 'Europe/Helsinki' },
        { email: 'barbara@example.org', name: 'Barbara', timezone: 'America/Los_Angeles' },
      ],
    });
    expect(enrolled).toMatchObject({ status: 200, body: { enrolled: 2, alreadyEnrolled: 0 } });

    const batches = await api<{ batches: Array<{ id: number }> }>('POST', '/batches', {
      campaignId: 4,
      target: { time: '09:00', date: '2026-03-29' },
      message: { templateId: 4 },
      recipients: [
        { email: 'ada@example.org', name: 'Ada', timezone: 'Europe/London' },
        { email: 'ken@example.org', name: 'Ken', timezone: 'Asia/Tokyo' },
        { email: 'tim@example.org', name: 'Tim', timezone: 'America/New_York' },
      ],
    });
    expect(batches.status).toBe(201);
    batchIds = batches.body.batches.map((b) => b.id);
    expect(batchIds).toHaveLength(3);
  });

  it('sends rendered templates through nodemailer when the scheduler job ticks', async () => {
    await tickAt(clock.date());
    const welcome = mailsTo('linus@example.org');
    expect(welcome).toHaveLength(1);
    expect(welcome[0]).toMatchObject({
      from: { address: 'news@acme.example' },
      subject: 'Welcome!',
      text: 'Hi Linus, thanks for signing up.',
    });
    expect(mailsTo('barbara@example.org')[0]!.text).toBe('Hi Barbara, thanks for signing up.');

    await runTo('2026-03-30T08:00:00Z');

    // The second step at 09:00 on each recipient's own clock.
    const tips = mailer.transport.sent.filter((m) => m.subject === 'Tips');
    expect(tips.map(to).sort()).toEqual(['barbara@example.org', 'linus@example.org']);
    // Enrolled Friday 08:00 in Helsinki (Thursday 23:00 in Los Angeles): a day later, then 09:00.
    expect(local(mailsTo('linus@example.org')[1]!, 'Europe/Helsinki')).toBe('2026-03-28T09:00');
    expect(local(mailsTo('barbara@example.org')[1]!, 'America/Los_Angeles')).toBe('2026-03-28T09:00');

    // The batch: the template's own subject, rendered, at 09:00 local on the DST day.
    const ada = mailsTo('ada@example.org').find((m) => m.subject === 'Spring sale, Ada')!;
    expect(ada.text).toBe('Good morning Ada! The sale starts now.');
    expect(sentAt.get(key(ada))!.toISOString()).toBe('2026-03-29T08:00:00.000Z'); // 09:00 BST
    for (const [address, zone] of [
      ['ken@example.org', 'Asia/Tokyo'],
      ['tim@example.org', 'America/New_York'],
    ] as const) {
      expect(local(mailsTo(address)[0]!, zone)).toBe('2026-03-29T09:00');
    }

    // The digest: Monday 09:00 Berlin to the mailer's 'newsletter' contacts (not the 'beta' one).
    const digest = mailer.transport.sent.filter((m) => m.subject === 'Your weekly digest');
    expect(digest.map(to).sort()).toEqual(['ada@example.org', 'alan@example.org', 'grace@example.org']);
    expect(digest.map((m) => sentAt.get(key(m))!.toISOString())).toEqual(
      Array(3).fill('2026-03-30T07:00:00.000Z'),
    );
    expect(digest.find((m) => to(m) === 'grace@example.org')!.text).toBe(
      'Hello Grace,\n\nHere is what happened this week.',
    );
  });

  it('runs a campaign on demand and reports it through the API', async () => {
    const run = await api('POST', `/recurring/${campaignId}/run`);
    expect(run).toMatchObject({ status: 201, body: { kind: 'manual' } });
    await tickAt(clock.advanceMinutes(1));
    expect(mailer.transport.sent.filter((m) => m.subject === 'Your weekly digest')).toHaveLength(6);

    const batch = await api<{ counts: { sent: number } }>('GET', `/batches/${batchIds[0]}`);
    expect(batch.body.counts.sent).toBe(1);
    const sequence = await api<{ enrollmentCounts?: unknown }>('GET', `/sequences/${sequenceId}`);
    expect(sequence.status).toBe(200);
    const deliveries = await api<{ items: unknown[] }>('GET', '/deliveries');
    expect(deliveries.body.items).toHaveLength(mailer.transport.sent.length);

    // Every message went out once: its idempotency key is unique.
    const keys = mailer.transport.sent.map(key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(2 + 2 + 3 + 3 + 3);
  });

  it('answers bad input with a 400 naming the field', async () => {
    const bad = await api<{ error: { issues: Array<{ path: string }> } }>('POST', '/recurring', {
      name: 'Broken',
      subject: 'x',
      recipientSource: 'contacts',
      scheduleCron: '61 9 * * 1',
      timezone: 'Europe/Berln',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i) => i.path).sort()).toEqual(['scheduleCron', 'timezone']);
  });

  it('starts with one command', { timeout: 120_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/express-mailer/server.ts'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, PORT: '0', MAILER_DB: join(dir, 'cli.db'), MAILER_TOKEN: TOKEN },
    });
    try {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const url = await new Promise<string>((resolve, reject) => {
        const lines: string[] = [];
        createInterface({ input: child.stdout }).on('line', (line) => {
          lines.push(line);
          const match = /listening on (\S+)/.exec(line);
          if (match) resolve(match[1]!);
        });
        void exited.then((code) => reject(new Error(`exited (${code}): ${lines.join('\n')}`)));
      });
      const response = await fetch(`${url}/templates`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
