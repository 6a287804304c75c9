import { afterEach, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../support/backends.js';
import { setup } from '../support/harness.js';
import { validBatch, validCampaign, validSequence } from './fixtures.js';
import { call, serve, type AdapterName, type TestServer } from './servers.js';

/*
 * A few thousand requests that are invalid by construction — a valid body with one to
 * three fields replaced by values the field can never take, whole bodies of the wrong
 * shape, unknown fields, bad ids and query strings — sent through both adapters. None may
 * yield a 2xx or a 5xx, and the stored rows must be exactly what they were.
 */

const REQUESTS_PER_SERVER = 900;
const SEED = 20261129;

const databases = backends.filter((b) => b.name !== 'pglite');
const matrix = (['express', 'fastify'] as AdapterName[]).flatMap((adapter) =>
  databases.map((backend) => ({ adapter, backend, name: `${adapter} on ${backend.name}` })),
);

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

/** mulberry32: small, seeded, good enough to spread the cases. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HUGE = 'x'.repeat(5000);
const BAD_STRING = [123, true, null, {}, [], '', '   ', HUGE];
const BAD: Record<string, unknown[]> = {
  name: BAD_STRING,
  subject: BAD_STRING,
  recipientSource: [5, '', null, 'no-such-source', HUGE],
  scheduleCron: ['61 * * * *', '* * *', 'every day', '', 5, '0 0 30 2 *', '*/0 * * * *', 'H * * * *', null],
  timezone: ['Europe/Berln', '+05:30', '', 7, 'UTC+1', HUGE, null],
  cc: [['nope'], 'a@x.org', [1], {}, null],
  bcc: [['@x.org'], 5],
  templateId: ['7', -1, 0, 1.5, 2 ** 40, {}],
  enabled: ['yes', 1, {}],
  startAt: ['yesterday', '2026-13-01T00:00:00Z', 5, '2026-03-01'],
  maxRuns: [0, -1, 'x', 1.5],
  missedRunPolicy: ['flood', 5, null],
  maxLatenessMs: [-1, 'soon', 1.5],
  description: [5, HUGE + HUGE],
  onStepFailure: ['explode', 1],
  steps: ['x', [{}], [{ subject: '' }], [{ subject: 'a', delayDays: -1 }], [{ subject: 'a', stepOrder: 7 }]],
  delayDays: [-1, 1.5, '2', 1e12, null],
  delayHours: [-3, 'x', 2.5],
  sendTime: ['25:00', '9:00', '09:60', 900, ''],
  stepOrder: [0, -1, 'first', 1.5, 1000],
  email: ['nope', '', 5, null, 'a@', '@b.org'],
  data: ['str', 5, [1], { timezone: 'Mars/Base' }],
  action: ['explode', '', 5, null],
  reason: [5, ''],
  recipients: [[], 'a', [{ email: 'nope' }], [{}], {}, null],
  // A bulk enrollment reports bad entries one by one (200); only a list that is not a list is rejected.
  bulkRecipients: ['a', {}, null, 5],
  target: ['25:00', { time: '9' }, { time: '09:00', date: '2026-02-30' }, 5, null, { date: '2026-03-10' }],
  campaignId: [0, -5, 'abc', 1.5, null],
  pastTargetPolicy: ['later', 5],
  message: ['x', { subject: 5 }, { cc: ['nope'] }, { unknown: true }],
};
const BAD_BODIES = [null, [], [1, 2], 'text', 42, true, { deep: { deeper: { deepest: [HUGE] } } }];
const BAD_IDS = ['abc', '-1', '0', '1.5', '99999999999999', '1e3', '%20', 'NaN'];
const MISSING_ID = '999999';

interface Case {
  method: string;
  path: string;
  body?: unknown;
  /** Fields of `body` that may be corrupted (each has entries in BAD). */
  fields?: string[];
}

function cases(ids: {
  campaign: number;
  sequence: number;
  step: number;
  enrollment: number;
  batch: number;
}): Case[] {
  const campaignFields = Object.keys(BAD).filter((f) =>
    [
      'name',
      'subject',
      'recipientSource',
      'scheduleCron',
      'timezone',
      'cc',
      'bcc',
      'templateId',
      'enabled',
      'startAt',
      'maxRuns',
      'missedRunPolicy',
      'maxLatenessMs',
    ].includes(f),
  );
  const stepFields = ['subject', 'templateId', 'delayDays', 'delayHours', 'sendTime', 'stepOrder'];
  return [
    { method: 'POST', path: '/recurring', body: validCampaign, fields: campaignFields },
    { method: 'PUT', path: `/recurring/${ids.campaign}`, body: { subject: 'ok' }, fields: campaignFields },
    {
      method: 'POST',
      path: '/sequences',
      body: validSequence,
      fields: ['name', 'timezone', 'description', 'enabled', 'onStepFailure', 'steps'],
    },
    {
      method: 'PUT',
      path: `/sequences/${ids.sequence}`,
      body: { name: 'ok' },
      fields: ['name', 'timezone', 'description', 'enabled', 'onStepFailure'],
    },
    {
      method: 'POST',
      path: `/sequences/${ids.sequence}/steps`,
      body: { subject: 'ok', delayDays: 1 },
      fields: stepFields,
    },
    {
      method: 'PUT',
      path: `/sequences/${ids.sequence}/steps/${ids.step}`,
      body: { subject: 'ok' },
      fields: stepFields,
    },
    {
      method: 'POST',
      path: `/sequences/${ids.sequence}/enroll`,
      body: { email: 'new@example.org', data: { name: 'N' } },
      fields: ['email', 'data'],
    },
    {
      method: 'POST',
      path: `/sequences/${ids.sequence}/enroll`,
      body: { recipients: [{ email: 'x@example.org' }] },
      fields: ['bulkRecipients'],
    },
    {
      method: 'PUT',
      path: `/sequences/${ids.sequence}/enrollments/${ids.enrollment}`,
      body: { action: 'pause' },
      fields: ['action', 'reason'],
    },
    {
      method: 'POST',
      path: '/batches',
      body: { ...validBatch, campaignId: 77 },
      fields: ['campaignId', 'recipients', 'target', 'message', 'pastTargetPolicy', 'timezone'],
    },
  ];
}

const ID_ROUTES = [
  ['GET', '/recurring/:id'],
  ['PUT', '/recurring/:id'],
  ['DELETE', '/recurring/:id'],
  ['POST', '/recurring/:id/run'],
  ['GET', '/sequences/:id'],
  ['DELETE', '/sequences/:id'],
  ['GET', '/sequences/:id/enrollments'],
  ['DELETE', '/sequences/:id/steps/:id'],
  ['GET', '/batches/:id'],
  ['DELETE', '/batches/:id'],
] as const;

const BAD_QUERIES = [
  '/recurring?limit=0',
  '/recurring?limit=-1',
  '/recurring?limit=abc',
  '/recurring?offset=-5',
  '/recurring?enabled=maybe',
  '/recurring?unknown=1',
  '/sequences?limit=9999',
  '/sequences?enabled=2',
  '/batches?status=exploded',
  '/batches?campaignId=abc',
  '/batches?limit=1.5',
];

async function snapshot(database: TestDatabase): Promise<string> {
  const tables = [
    'recurring_campaigns',
    'sequences',
    'sequence_steps',
    'sequence_enrollments',
    'scheduled_batches',
    'tickwork_outbox',
  ];
  const dump: Record<string, unknown> = {};
  for (const table of tables) dump[table] = await database.raw(`select * from ${table} order by id`);
  return JSON.stringify(dump);
}

describe.each(matrix)('HTTP fuzz: $name', (entry) => {
  it(`${REQUESTS_PER_SERVER} invalid requests: never a 2xx or a 5xx, and nothing stored changes`, async () => {
    const { scheduler, database } = await setup(entry.backend);
    const server = await serve(entry.adapter, scheduler);
    servers.push(server);

    const campaign = await scheduler.recurring.create(validCampaign);
    const sequence = await scheduler.sequences.create(validSequence);
    const { enrollment } = await scheduler.sequences.enrollRecipient(sequence.id, 'ann@example.org', {});
    const batch = await scheduler.batches.create(validBatch);
    const ids = {
      campaign: campaign.id,
      sequence: sequence.id,
      step: sequence.steps[0]!.id,
      enrollment: enrollment.id,
      batch: batch.batches[0]!.id,
    };
    const before = await snapshot(database);
    const random = prng(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const bodyCases = cases(ids);
    const statuses = new Map<number, number>();
    const failures: string[] = [];

    for (let i = 0; i < REQUESTS_PER_SERVER; i++) {
      const kind = random();
      let method: string;
      let path: string;
      let body: unknown;
      if (kind < 0.7) {
        const c = pick(bodyCases);
        method = c.method;
        path = c.path;
        const roll = random();
        if (roll < 0.1) {
          body = pick(BAD_BODIES);
        } else if (roll < 0.2) {
          body = { ...(c.body as object), [`unknown${Math.floor(random() * 5)}`]: pick(BAD_STRING) };
        } else {
          const corrupted: Record<string, unknown> = { ...(c.body as object) };
          const count = 1 + Math.floor(random() * 3);
          for (let k = 0; k < count; k++) {
            const field = pick(c.fields!);
            corrupted[field === 'bulkRecipients' ? 'recipients' : field] = pick(BAD[field]!);
          }
          body = corrupted;
        }
      } else if (kind < 0.9) {
        const [m, template] = pick(ID_ROUTES);
        method = m;
        path = template.replace(/:id/g, () => (random() < 0.8 ? pick(BAD_IDS) : MISSING_ID));
        body = m === 'PUT' ? { name: 'x' } : undefined;
      } else {
        method = 'GET';
        path = pick(BAD_QUERIES);
      }
      const answer = await call(server, method, path, body);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.status < 400 || answer.status >= 500) {
        failures.push(
          `${method} ${path} ${JSON.stringify(body)?.slice(0, 200)} -> ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`,
        );
      }
    }

    console.log(
      `fuzz ${entry.name}: ${REQUESTS_PER_SERVER} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(failures.slice(0, 10)).toEqual([]);
    expect(await snapshot(database)).toBe(before);
  });
});
