import { Validator } from '@seriousme/openapi-schema-validator';
import { afterEach, describe, expect, it } from 'vitest';
import type { Scheduler } from '../../src/index.js';
import { backends } from '../support/backends.js';
import { setup } from '../support/harness.js';
import { validBatch, validCampaign, validSequence } from './fixtures.js';
import { call, serve, type AdapterName, type TestServer } from './servers.js';

// At least SQLite and the Postgres server (PGlite adds nothing at the HTTP layer).
const databases = backends.filter((b) => b.name !== 'pglite');
const adapters: AdapterName[] = ['express', 'fastify'];
const matrix = adapters.flatMap((adapter) =>
  databases.map((backend) => ({ adapter, backend, name: `${adapter} on ${backend.name}` })),
);

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function start(entry: (typeof matrix)[number], options: Parameters<typeof serve>[2] = {}) {
  const harness = await setup(entry.backend);
  const server = await serve(entry.adapter, harness.scheduler, options);
  servers.push(server);
  return { ...harness, server };
}

describe.each(matrix)('HTTP routes: $name', (entry) => {
  it('serves the recurring routes', async () => {
    const { server, transport, scheduler, clock } = await start(entry);
    const created = await call<{ id: number; nextRunAt: string; scheduleCron: string }>(
      server,
      'POST',
      '/recurring',
      validCampaign,
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Weekly digest',
      scheduleCron: '0 9 * * 1',
      timezone: 'Europe/Berlin',
    });
    // Monday 2026-03-02 08:00Z is 09:00 in Berlin: the harness clock starts exactly there, so the next run is a week on.
    expect(created.body.nextRunAt).toBe('2026-03-09T08:00:00.000Z');
    const id = created.body.id;

    expect((await call(server, 'GET', `/recurring/${id}`)).body).toMatchObject({ id, subject: 'This week' });
    const list = await call<{ items: unknown[]; total: number }>(server, 'GET', '/recurring?limit=10');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 1, limit: 10, offset: 0 });

    const updated = await call(server, 'PUT', `/recurring/${id}`, { subject: 'This week, again' });
    expect(updated).toMatchObject({
      status: 200,
      body: { subject: 'This week, again', scheduleCron: '0 9 * * 1' },
    });

    const run = await call<{ id: number; kind: string }>(server, 'POST', `/recurring/${id}/run`);
    expect(run.status).toBe(201);
    expect(run.body.kind).toBe('manual');
    await scheduler.tick(clock.date());
    expect(transport.sent.map((s) => s.message.to).sort()).toEqual(['ann@example.org', 'bob@example.org']);
    const runs = await call<{ items: Array<{ id: number }> }>(server, 'GET', `/recurring/${id}/runs`);
    expect(runs.body.items.map((r) => r.id)).toEqual([run.body.id]);

    expect((await call(server, 'DELETE', `/recurring/${id}`)).status).toBe(200);
    expect((await call(server, 'GET', `/recurring/${id}`)).status).toBe(404);
  });

  it('serves the sequence routes', async () => {
    const { server } = await start(entry);
    const created = await call<{ id: number; steps: Array<{ id: number; stepOrder: number }> }>(
      server,
      'POST',
      '/sequences',
      validSequence,
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body.steps.map((s) => s.stepOrder)).toEqual([1, 2]);

    const step = await call<{ id: number; stepOrder: number }>(server, 'POST', `/sequences/${id}/steps`, {
      subject: 'Last call',
      delayDays: 5,
    });
    expect(step).toMatchObject({ status: 201, body: { stepOrder: 3 } });
    expect(
      (await call(server, 'PUT', `/sequences/${id}/steps/${step.body.id}`, { delayHours: 4 })).body,
    ).toMatchObject({ delayHours: 4 });
    expect((await call(server, 'DELETE', `/sequences/${id}/steps/${step.body.id}`)).status).toBe(204);

    const one = await call<{ enrollment: { id: number }; created: boolean }>(
      server,
      'POST',
      `/sequences/${id}/enroll`,
      {
        email: 'Ann@Example.org',
        data: { name: 'Ann', timezone: 'Europe/Paris' },
      },
    );
    expect(one).toMatchObject({
      status: 200,
      body: { created: true, enrollment: { recipientEmail: 'ann@example.org' } },
    });
    const bulk = await call(server, 'POST', `/sequences/${id}/enroll`, {
      recipients: [{ email: 'ann@example.org' }, { email: 'bob@example.org' }, { email: 'nope' }],
    });
    expect(bulk.body).toMatchObject({
      enrolled: 1,
      alreadyEnrolled: 1,
      invalid: [expect.objectContaining({ index: 2 })],
    });

    const paused = await call(server, 'PUT', `/sequences/${id}/enrollments/${one.body.enrollment.id}`, {
      action: 'pause',
    });
    expect(paused).toMatchObject({ status: 200, body: { status: 'paused' } });
    const filtered = await call<{ items: Array<{ recipientEmail: string }>; total: number }>(
      server,
      'GET',
      `/sequences/${id}/enrollments?status=paused`,
    );
    expect(filtered.body.items.map((e) => e.recipientEmail)).toEqual(['ann@example.org']);

    const view = await call(server, 'GET', `/sequences/${id}`);
    expect(view.body).toMatchObject({
      steps: [expect.anything(), expect.anything()],
      enrollmentCounts: { active: 1, paused: 1 },
    });
    expect((await call(server, 'PUT', `/sequences/${id}`, { enabled: false })).body).toMatchObject({
      enabled: false,
    });
    expect((await call(server, 'DELETE', `/sequences/${id}`)).status).toBe(204);
    expect((await call(server, 'GET', `/sequences/${id}`)).status).toBe(404);
  });

  it('serves the timezone batch routes, with 409 for a conflicting repeat', async () => {
    const { server } = await start(entry);
    const created = await call<{ batches: Array<{ id: number; scheduledFor: string }> }>(
      server,
      'POST',
      '/batches',
      validBatch,
    );
    expect(created.status).toBe(201);
    // Kolkata 09:00 = 03:30Z; London and the UTC fallback share 09:00Z.
    expect(created.body.batches.map((b) => b.scheduledFor).sort()).toEqual([
      '2026-03-10T03:30:00.000Z',
      '2026-03-10T09:00:00.000Z',
    ]);
    const list = await call<{ total: number }>(server, 'GET', '/batches?campaignId=42');
    expect(list.body.total).toBe(2);
    expect((await call(server, 'GET', '/batches?campaignId=43')).body).toMatchObject({ total: 0 });
    const first = created.body.batches[0]!.id;
    expect((await call(server, 'GET', `/batches/${first}`)).body).toMatchObject({
      id: first,
      status: 'pending',
    });
    const conflict = await call(server, 'POST', '/batches', {
      ...validBatch,
      recipients: [{ email: 'z@example.org' }],
    });
    expect(conflict).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    expect((await call(server, 'DELETE', `/batches/${first}`)).body).toMatchObject({ status: 'cancelled' });
  });

  it('answers bad input with 400 naming the field, unknown ids with 404, and writes nothing', async () => {
    const { server, scheduler } = await start(entry);
    const bad = await call<{ error: { code: string; issues: Array<{ path: string }> } }>(
      server,
      'POST',
      '/recurring',
      {
        ...validCampaign,
        scheduleCron: '61 * * * *',
        timezone: 'Europe/Berln',
        cc: ['not-an-email'],
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION');
    expect(bad.body.error.issues.map((i) => i.path).sort()).toEqual(['cc.0', 'scheduleCron', 'timezone']);
    expect(JSON.stringify(bad.body)).toMatch(/minute field: 61 is out of range 0-59/);
    expect(JSON.stringify(bad.body)).toMatch(/did you mean 'Europe\/Berlin'/);

    const badId = await call<{ error: { issues: Array<{ path: string }> } }>(server, 'GET', '/recurring/abc');
    expect(badId.status).toBe(400);
    expect(badId.body.error.issues[0]!.path).toBe('id');
    expect((await call(server, 'GET', '/recurring/999999')).body).toMatchObject({
      error: { code: 'NOT_FOUND' },
    });
    expect((await call(server, 'PUT', '/sequences/999999', { name: 'x' })).status).toBe(404);
    expect((await call(server, 'GET', '/recurring?limit=0')).status).toBe(400);
    expect((await call(server, 'GET', '/sequences/1/enrollments?status=bogus')).status).toBe(400);

    expect((await scheduler.recurring.list()).total).toBe(0);
  });

  it('answers malformed JSON with 400, an oversized body with 413, a non-JSON body with 415', async () => {
    const { server, scheduler } = await start(entry, { bodyLimit: 10_000 });
    const malformed = await call(server, 'POST', '/recurring', undefined, { raw: '{"name": "x",' });
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'MALFORMED_JSON' } } });
    const huge = await call(server, 'POST', '/recurring', { ...validCampaign, name: 'x'.repeat(20_000) });
    expect(huge).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    const text = await call(server, 'POST', '/recurring', undefined, {
      raw: 'name=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
    expect((await scheduler.recurring.list()).total).toBe(0);
  });

  it('answers an unexpected error with a generic 500 and reports the details on the error event', async () => {
    const { server, scheduler } = await start(entry);
    const reported: string[] = [];
    scheduler.events.on('error', (e) => reported.push(`${e.context}: ${(e.error as Error).message}`));
    (scheduler.recurring as { list: Scheduler['recurring']['list'] }).list = async () => {
      throw new Error('database on fire');
    };
    const answer = await call(server, 'GET', '/recurring');
    expect(answer).toEqual({ status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } });
    expect(reported).toEqual(['http GET /recurring: database on fire']);
  });

  it('paginates list routes', async () => {
    const { server } = await start(entry);
    for (let i = 0; i < 5; i++) {
      expect((await call(server, 'POST', '/recurring', { ...validCampaign, name: `c${i}` })).status).toBe(
        201,
      );
    }
    const page = await call<{ items: Array<{ name: string }>; total: number }>(
      server,
      'GET',
      '/recurring?limit=2&offset=2',
    );
    expect(page.body.total).toBe(5);
    expect(page.body.items).toHaveLength(2);
    const all = await call<{ items: Array<{ name: string }> }>(server, 'GET', '/recurring?limit=500');
    expect(page.body.items.map((c) => c.name)).toEqual(all.body.items.slice(2, 4).map((c) => c.name));
    expect((await call(server, 'GET', '/recurring?limit=501')).status).toBe(400);
  });

  it('stays behind the host auth: a rejected request never reaches a route', async () => {
    const { server, scheduler } = await start(entry, { auth: true });
    const denied = await call(server, 'POST', '/recurring', validCampaign, {
      headers: { authorization: 'Bearer wrong' },
    });
    expect(denied.status).toBe(401);
    expect((await scheduler.recurring.list()).total).toBe(0);
    expect((await call(server, 'POST', '/recurring', validCampaign)).status).toBe(201);
  });

  it('serves an OpenAPI 3.1 document that a validator accepts and that lists every route', async () => {
    const { server } = await start(entry);
    const doc = await call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      server,
      'GET',
      '/openapi.json',
    );
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc.body as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const operations = Object.entries(doc.body.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'GET /recurring',
        'POST /recurring',
        'GET /recurring/{id}',
        'PUT /recurring/{id}',
        'DELETE /recurring/{id}',
        'POST /recurring/{id}/run',
        'GET /sequences',
        'POST /sequences',
        'GET /sequences/{id}',
        'PUT /sequences/{id}',
        'DELETE /sequences/{id}',
        'POST /sequences/{id}/steps',
        'PUT /sequences/{id}/steps/{stepId}',
        'DELETE /sequences/{id}/steps/{stepId}',
        'GET /sequences/{id}/enrollments',
        'POST /sequences/{id}/enroll',
        'PUT /sequences/{id}/enrollments/{enrollmentId}',
        'GET /batches',
        'POST /batches',
        'GET /batches/{id}',
        'DELETE /batches/{id}',
      ]),
    );
  });
});

describe('HTTP mounting', () => {
  it('the Fastify plugin honours its prefix', async () => {
    const { scheduler } = await setup(databases[0]!);
    const server = await serve('fastify', scheduler, { prefix: '/v1/mail' });
    servers.push(server);
    expect(server.baseUrl).toMatch(/\/v1\/mail$/);
    expect((await call(server, 'POST', '/recurring', validCampaign)).status).toBe(201);
    const outside = await fetch(server.baseUrl.replace('/v1/mail', '/recurring'));
    expect(outside.status).toBe(404);
  });
});
