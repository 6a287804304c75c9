import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createScheduler,
  fetchRecipients,
  RecipientSourceError,
  ValidationError,
  type FetchRecipientsOptions,
} from '../../src/index.js';
import { CapturingTransport } from '../../src/testing/index.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { startRecipientServer, type RecipientServer } from './server.js';

let server: RecipientServer;
let origin = '';
let hits: string[] = [];
beforeAll(async () => {
  server = await startRecipientServer();
  ({ origin, hits } = server);
});
afterAll(() => server.close());

const allowed = (
  extra: Partial<NonNullable<FetchRecipientsOptions['url']>> = {},
): FetchRecipientsOptions => ({
  url: { allowedOrigins: [origin], timeoutMs: 300, maxBytes: 1000, ...extra },
});

async function sourceError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RecipientSourceError);
  return (error as Error).message;
}

describe('fetchRecipients', () => {
  it('is off until the host allows origins, and refuses any origin not allowed without contacting it', async () => {
    const before = hits.length;
    expect(await sourceError(fetchRecipients('url', `${origin}/list`))).toMatch(
      /url recipient source is off: the host allows origins in options.recurring.url.allowedOrigins/,
    );
    const other = `http://localhost:${new URL(origin).port}/list`;
    expect(await sourceError(fetchRecipients('url', other, allowed()))).toBe(
      `url source: origin 'http://localhost:${new URL(origin).port}' is not in options.recurring.url.allowedOrigins`,
    );
    expect(await sourceError(fetchRecipients('url', 'file:///etc/passwd', allowed()))).toMatch(
      /http\(s\) URL/,
    );
    expect(hits.length).toBe(before);
  });

  it('GETs a JSON array (or { recipients }) from an allowed origin, cleaned and de-duplicated', async () => {
    expect(await fetchRecipients('url', `${origin}/list`, allowed())).toEqual({
      recipients: [{ email: 'a@x.org' }, { email: 'B@x.org', name: 'Bea' }],
      duplicateCount: 1,
      invalidCount: 1,
      invalidSamples: [{ index: 3, reason: "'broken' is not a valid email address" }],
    });
    expect((await fetchRecipients('url', { url: `${origin}/wrapped` }, allowed())).recipients).toEqual([
      { email: 'w@x.org' },
    ]);
    expect(
      (
        await fetchRecipients(
          'url',
          { url: `${origin}/keyed`, headers: { 'x-api-key': 'secret' } },
          allowed(),
        )
      ).recipients,
    ).toEqual([{ email: 'k@x.org' }]);
    expect(await sourceError(fetchRecipients('url', `${origin}/keyed`, allowed()))).toBe(
      `url source: ${origin}/keyed answered with HTTP 401`,
    );
  });

  it('gives up after the timeout, whether the headers or the body are late', async () => {
    const started = Date.now();
    expect(await sourceError(fetchRecipients('url', `${origin}/slow-headers`, allowed()))).toBe(
      `url source: ${origin}/slow-headers did not answer within 300 ms`,
    );
    expect(await sourceError(fetchRecipients('url', `${origin}/slow-body`, allowed()))).toBe(
      `url source: ${origin}/slow-body did not answer within 300 ms`,
    );
    expect(Date.now() - started).toBeLessThan(1900);
  });

  it('refuses an oversized response, declared or streamed', async () => {
    expect(await sourceError(fetchRecipients('url', `${origin}/big-declared`, allowed()))).toBe(
      `url source: ${origin}/big-declared answered with 5001 bytes, more than url.maxBytes (1000)`,
    );
    expect(await sourceError(fetchRecipients('url', `${origin}/big-streamed`, allowed()))).toBe(
      `url source: ${origin}/big-streamed answered with more than url.maxBytes (1000) bytes`,
    );
    expect(
      (await fetchRecipients('url', `${origin}/big-streamed`, allowed({ maxBytes: 10_000 }))).recipients,
    ).toHaveLength(201);
  });

  it('refuses bad JSON, a non-list, a wrong content type, an error status and a redirect', async () => {
    expect(await sourceError(fetchRecipients('url', `${origin}/bad-json`, allowed()))).toMatch(
      new RegExp(`^url source: ${origin}/bad-json answered with invalid JSON: `),
    );
    expect(await sourceError(fetchRecipients('url', `${origin}/object`, allowed()))).toBe(
      `url source: ${origin}/object answered with a JSON object, expected an array of recipients (or an object with a recipients array)`,
    );
    expect(await sourceError(fetchRecipients('url', `${origin}/number`, allowed()))).toMatch(
      /answered with a JSON number/,
    );
    expect(await sourceError(fetchRecipients('url', `${origin}/html`, allowed()))).toBe(
      `url source: ${origin}/html answered with content-type 'text/html', expected application/json`,
    );
    expect(await sourceError(fetchRecipients('url', `${origin}/error`, allowed()))).toBe(
      `url source: ${origin}/error answered with HTTP 503`,
    );
    const before = hits.length;
    expect(await sourceError(fetchRecipients('url', `${origin}/redirect`, allowed()))).toBe(
      `url source: ${origin}/redirect answered with a redirect (HTTP 302); redirects are not followed`,
    );
    expect(hits.slice(before)).toEqual(['/redirect']);
  });

  it('resolves static lists and host sources, and names unknown or failing ones', async () => {
    expect((await fetchRecipients('static', ['a@x.org', 'A@X.ORG'])).recipients).toEqual([
      { email: 'a@x.org' },
    ]);
    const sources = {
      api: (data: unknown) => (data as string[]).map((email) => ({ email, source: 'api' })),
      broken: () => {
        throw new Error('boom');
      },
    };
    expect((await fetchRecipients('api', ['z@x.org'], { sources })).recipients).toEqual([
      { email: 'z@x.org', source: 'api' },
    ]);
    expect(await sourceError(fetchRecipients('crm', null, { sources }))).toBe(
      "unknown recipient source 'crm' (known: static, url, api, broken)",
    );
    expect(await sourceError(fetchRecipients('broken', null, { sources }))).toBe(
      'broken source: failed: boom',
    );
    const hanging = { slow: () => new Promise<string[]>(() => undefined) };
    expect(await sourceError(fetchRecipients('slow', null, { sources: hanging, sourceTimeoutMs: 50 }))).toBe(
      'slow source: did not answer within 50 ms',
    );
  });

  it('validates the url options', async () => {
    const store = sqliteStore(':memory:');
    try {
      for (const [url, path] of [
        [{ allowedOrigins: ['lists.x.org'] }, 'options.recurring.url.allowedOrigins.0'],
        [{ allowedOrigins: ['https://x.org/path'] }, 'options.recurring.url.allowedOrigins.0'],
        [{ timeoutMs: 0 }, 'options.recurring.url.timeoutMs'],
        [{ maxBytes: -1 }, 'options.recurring.url.maxBytes'],
      ] as const) {
        const create = () =>
          createScheduler({
            store,
            transport: new CapturingTransport(),
            options: { recurring: { url: url as never } },
          });
        expect(create).toThrow(ValidationError);
        expect(() => create()).toThrow(
          expect.objectContaining({ issues: [expect.objectContaining({ path })] }),
        );
      }
    } finally {
      await store.close();
    }
  });
});
