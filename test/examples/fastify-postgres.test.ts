import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { toLocalDateTime } from 'tickwork';
import { FakeClock } from 'tickwork/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startApi, type Api } from '../../examples/fastify-postgres/api.js';
import { PG_URL } from '../support/backends.js';

// The example's web process in this test's process, and two real worker processes
// (`node --import tsx examples/fastify-postgres/worker.ts`) ticking the same Postgres schema
// in lockstep on a simulated clock.

const root = fileURLToPath(new URL('../..', import.meta.url));
const workerFile = fileURLToPath(new URL('../../examples/fastify-postgres/worker.ts', import.meta.url));
// Named like every suite's schema, so the global teardown drops it after the run.
const schema = `tw_${process.env.TICKWORK_TEST_RUN ?? randomBytes(4).toString('hex')}_mailer_example`;
const TOKEN = 'test-token';
const START = new Date('2026-03-28T19:00:00Z');
const END = new Date('2026-03-29T18:00:00Z');
const STEP_MS = 15 * 60_000;
const ZONES = [
  'Pacific/Auckland',
  'Australia/Sydney',
  'Asia/Tokyo',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Europe/Helsinki',
  'Europe/Berlin',
  'Europe/London',
  'America/Sao_Paulo',
  'America/New_York',
  'America/Chicago',
  'America/Los_Angeles',
];

interface WorkerEvent {
  event: string;
  worker: string;
  key?: string;
  to?: string;
  subject?: string;
  at?: string;
  error?: string;
}

/** A worker process driven over stdin: one ISO instant per line, answered by a `ticked` line. */
class Worker {
  readonly events: WorkerEvent[] = [];
  /** Sent messages with the simulated instant they went out at. */
  readonly sent: Array<WorkerEvent & { sentAt: string }> = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private waiting: { match: (e: WorkerEvent) => boolean; resolve: (e: WorkerEvent) => void } | undefined;
  private currentAt = '';
  readonly exited: Promise<number | null>;

  constructor(readonly id: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', workerFile], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: PG_URL,
        MAILER_SCHEMA: schema,
        WORKER_ID: id,
        TICK_CLOCK: 'stdin',
      },
    });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stderr.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const event = JSON.parse(line) as WorkerEvent;
      this.events.push(event);
      if (event.event === 'sent') this.sent.push({ ...event, sentAt: this.currentAt });
      if (this.waiting?.match(event)) {
        const { resolve } = this.waiting;
        this.waiting = undefined;
        resolve(event);
      }
    });
  }

  next(match: (e: WorkerEvent) => boolean): Promise<WorkerEvent> {
    return new Promise((resolve, reject) => {
      this.waiting = { match, resolve };
      void this.exited.then((code) =>
        reject(new Error(`${this.id} exited (${code}) early: ${this.stderr.join('')}`)),
      );
    });
  }

  tick(at: Date): Promise<WorkerEvent> {
    this.currentAt = at.toISOString();
    const answered = this.next((e) => e.event === 'ticked' && e.at === this.currentAt);
    this.child.stdin.write(`${this.currentAt}\n`);
    return answered;
  }

  /** End of input: the worker closes its scheduler and pool and exits. */
  async stop(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

let api: Api | undefined;
const workers: Worker[] = [];
afterAll(async () => {
  for (const w of workers) w.kill();
  await api?.close();
});

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown) {
  const response = await fetch(`${api!.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

describe('examples/fastify-postgres', () => {
  it('serves the API and two workers send every message exactly once', { timeout: 180_000 }, async () => {
    const clock = new FakeClock(START);
    api = await startApi({ port: 0, connectionString: PG_URL, schema, token: TOKEN, now: clock.now });
    expect((await fetch(`${api.url}/recurring`)).status).toBe(401);
    // Two worker processes; they start (and run tickwork's migrations again) while the API is used.
    workers.push(new Worker('w1'), new Worker('w2'));
    const started = Promise.all(workers.map((w) => w.next((e) => e.event === 'started')));
    started.catch(() => undefined); // awaited below; a worker dying early fails the test there

    // Through the API, as the mailer's UI would: a daily digest, a sequence, a timezone batch.
    const digest = await call<{ id: number; nextRunAt: string }>('POST', '/recurring', {
      name: 'Daily digest',
      subject: 'Daily digest',
      templateId: 1,
      recipientSource: 'contacts',
      recipientData: { list: 'newsletter' },
      scheduleCron: '0 9 * * *',
      timezone: 'Europe/Berlin',
    });
    expect(digest.status).toBe(201);
    expect(digest.body.nextRunAt).toBe('2026-03-29T07:00:00.000Z'); // 09:00 CEST, the day the clocks change
    expect((await call('POST', `/recurring/${digest.body.id}/run`)).status).toBe(201);

    const sequence = await call<{ id: number }>('POST', '/sequences', {
      name: 'Onboarding',
      steps: [
        { subject: 'Welcome', templateId: 2 },
        { subject: 'Follow-up', templateId: 3, delayHours: 6 },
      ],
    });
    const signups = Array.from({ length: 40 }, (_, i) => ({
      email: `signup${i}@example.org`,
      name: `Signup ${i}`,
      timezone: ZONES[i % ZONES.length],
    }));
    const enrolled = await call('POST', `/sequences/${sequence.body.id}/enroll`, { recipients: signups });
    expect(enrolled.body).toMatchObject({ enrolled: 40 });

    const customers = Array.from({ length: 400 }, (_, i) => ({
      email: `customer${i}@example.org`,
      name: `Customer ${i}`,
      timezone: ZONES[(i * 7) % ZONES.length]!,
    }));
    const batches = await call<{ batches: unknown[]; scheduledCount: number }>('POST', '/batches', {
      campaignId: 4,
      target: { time: '09:00', date: '2026-03-29' },
      message: { templateId: 4 },
      recipients: customers,
    });
    expect(batches.status).toBe(201);
    expect(batches.body.scheduledCount).toBe(400);

    // Both workers tick every simulated quarter hour at the same instant.
    await started;
    for (let t = START.getTime(); t <= END.getTime(); t += STEP_MS) {
      await Promise.all(workers.map((w) => w.tick(new Date(t))));
    }
    expect(await Promise.all(workers.map((w) => w.stop()))).toEqual([0, 0]);

    const sent = workers.flatMap((w) => w.sent);
    const errors = workers.flatMap((w) => w.events.filter((e) => e.event === 'error' || e.event === 'dead'));
    expect(errors).toEqual([]);
    // 3 digest recipients × (manual run + 09:00 run) + 40 × 2 steps + 400 batch recipients.
    const expected = 6 + 80 + 400;
    const keys = sent.map((s) => s.key!);
    expect(new Set(keys).size).toBe(keys.length); // nothing twice…
    expect(keys).toHaveLength(expected); // …and nothing missing
    // The work was shared: both workers sent.
    for (const w of workers) expect(w.sent.length, `${w.id} sent nothing`).toBeGreaterThan(0);

    // Each batch message at 09:00 on its recipient's own clock, rendered from the mailer's template.
    const zoneOf = new Map(customers.map((c) => [c.email, c.timezone]));
    const sale = sent.filter((s) => s.subject?.startsWith('Spring sale'));
    expect(sale).toHaveLength(400);
    for (const s of sale) {
      expect(toLocalDateTime(new Date(s.sentAt), zoneOf.get(s.to!)!).slice(0, 16)).toBe('2026-03-29T09:00');
    }
    expect(sale.find((s) => s.to === 'customer1@example.org')!.subject).toBe('Spring sale, Customer 1');
    const daily = sent.filter((s) => s.subject === 'Daily digest').map((s) => s.sentAt);
    expect(daily.sort()).toEqual([
      ...Array(3).fill(START.toISOString()),
      ...Array(3).fill('2026-03-29T07:00:00.000Z'),
    ]);

    // The API reads the same database: everything settled as sent.
    const counts = await call<Record<string, number>>('GET', '/deliveries/counts');
    expect(counts.body).toMatchObject({ sent: expected, pending: 0, sending: 0, retrying: 0, dead: 0 });
    const enrollments = await call<{ items: Array<{ status: string }> }>(
      'GET',
      `/sequences/${sequence.body.id}/enrollments?limit=100&status=completed`,
    );
    expect(enrollments.body.items).toHaveLength(40);
  });

  it('starts API and two workers with one command', { timeout: 180_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/fastify-postgres/index.ts'], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: PG_URL,
        MAILER_SCHEMA: `${schema}_cli`,
        PORT: '0',
        MAILER_TOKEN: TOKEN,
        TICK_EVERY_MS: '500',
      },
    });
    try {
      const lines: string[] = [];
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const ready = new Promise<string>((resolve, reject) => {
        let url = '';
        const ticking = new Set<string>();
        createInterface({ input: child.stdout }).on('line', (line) => {
          lines.push(line);
          url ||= /API on (\S+)/.exec(line)?.[1] ?? '';
          if (line.startsWith('{')) {
            const event = JSON.parse(line) as WorkerEvent;
            if (event.event === 'started') ticking.add(event.worker);
          }
          if (url && ticking.size === 2) resolve(url);
        });
        void exited.then((code) => reject(new Error(`exited (${code}): ${lines.join('\n')}`)));
      });
      const url = await ready;
      const response = await fetch(`${url}/sequences`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
