import { RecipientSourceError } from '../../errors.js';
import type { UrlSourceOptions } from './options.js';

/** Where the `url` source fetches from, after the allowlist check. */
export interface UrlSourceRequest {
  url: URL;
  headers: Record<string, string>;
}

export type UrlSourceDataCheck =
  { ok: true; request: UrlSourceRequest } | { ok: false; path: string; message: string };

/**
 * Checks a `url` source's data against the host's allowlist. Used at create/update (to
 * name the bad field) and again at run time, because the allowlist may have changed since.
 */
export function checkUrlSourceData(data: unknown, options: UrlSourceOptions): UrlSourceDataCheck {
  let raw: unknown = data;
  let urlPath = '';
  let headers: Record<string, string> = {};
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
    const { url, headers: givenHeaders, ...rest } = data as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined)
      return { ok: false, path: extra, message: 'unknown field (expected url and headers)' };
    raw = url;
    urlPath = 'url';
    if (givenHeaders !== undefined) {
      if (typeof givenHeaders !== 'object' || givenHeaders === null || Array.isArray(givenHeaders)) {
        return { ok: false, path: 'headers', message: 'must be an object of header names to string values' };
      }
      for (const [name, value] of Object.entries(givenHeaders)) {
        if (
          typeof value !== 'string' ||
          !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) ||
          /[\r\n]/.test(value)
        ) {
          return {
            ok: false,
            path: `headers.${name}`,
            message: 'must be a valid header name with a string value',
          };
        }
      }
      headers = givenHeaders as Record<string, string>;
    }
  } else if (typeof data !== 'string') {
    return { ok: false, path: '', message: 'must be an http(s) URL, or { url, headers? }' };
  }
  if (typeof raw !== 'string') return { ok: false, path: urlPath, message: 'must be an http(s) URL' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, path: urlPath, message: `'${raw}' is not an absolute URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, path: urlPath, message: `must be an http(s) URL, got '${url.protocol}'` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, path: urlPath, message: 'must not contain credentials; send them in headers' };
  }
  if (options.allowedOrigins.length === 0) {
    return {
      ok: false,
      path: urlPath,
      message:
        'the url recipient source is off: the host allows origins in options.recurring.url.allowedOrigins',
    };
  }
  if (!options.allowedOrigins.includes(url.origin)) {
    return {
      ok: false,
      path: urlPath,
      message: `origin '${url.origin}' is not in options.recurring.url.allowedOrigins`,
    };
  }
  return { ok: true, request: { url, headers } };
}

const JSON_CONTENT_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * GETs a JSON list of recipients from an allowed origin. Redirects are refused (they could
 * leave the allowlist), the whole exchange is bounded by `timeoutMs`, and the body is read
 * as a stream so an oversized response is cut off at `maxBytes` instead of buffered.
 */
export async function fetchUrlRecipients(
  data: unknown,
  options: UrlSourceOptions,
  signal?: AbortSignal,
): Promise<unknown[]> {
  const check = checkUrlSourceData(data, options);
  if (!check.ok) {
    throw new RecipientSourceError(
      'url',
      `url source: ${check.path ? `${check.path}: ` : ''}${check.message}`,
    );
  }
  const { url, headers } = check.request;
  const where = `${url.origin}${url.pathname}`;
  const fail = (message: string, cause?: unknown): never => {
    throw new RecipientSourceError('url', `url source: ${where} ${message}`, { cause });
  };
  // A real timer on purpose: it bounds network I/O and decides nothing about schedules.
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const describeAbort = (error: unknown): never => {
    if (timeout.aborted) fail(`did not answer within ${options.timeoutMs} ms`, error);
    if (signal?.aborted) fail('was aborted', error);
    return fail(`could not be fetched: ${describeCause(error)}`, error);
  };

  let response: Response;
  try {
    response = await fetch(url, {
      method: 'GET',
      headers: { accept: 'application/json', ...headers },
      redirect: 'manual',
      signal: combined,
    });
  } catch (error) {
    return describeAbort(error);
  }
  const discard = () => response.body?.cancel().catch(() => undefined);
  if (response.status >= 300 && response.status < 400) {
    await discard();
    fail(`answered with a redirect (HTTP ${response.status}); redirects are not followed`);
  }
  if (!response.ok) {
    await discard();
    fail(`answered with HTTP ${response.status}`);
  }
  const contentType = response.headers.get('content-type') ?? '';
  if (!JSON_CONTENT_TYPE.test(contentType)) {
    await discard();
    fail(`answered with content-type '${contentType || '(none)'}', expected application/json`);
  }
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await discard();
    fail(`answered with ${declared} bytes, more than url.maxBytes (${options.maxBytes})`);
  }

  let body: Buffer;
  try {
    body = await readCapped(response, options.maxBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      return fail(`answered with more than url.maxBytes (${options.maxBytes}) bytes`);
    }
    return describeAbort(error);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch (error) {
    return fail('answered with a body that is not UTF-8', error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail(`answered with invalid JSON: ${describeCause(error)}`, error);
  }
  if (Array.isArray(parsed)) return parsed;
  if (typeof parsed === 'object' && parsed !== null) {
    const { recipients } = parsed as { recipients?: unknown };
    if (Array.isArray(recipients)) return recipients;
  }
  return fail(
    `answered with ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a JSON ${typeof parsed}`}, ` +
      'expected an array of recipients (or an object with a recipients array)',
  );
}

class BodyTooLargeError extends Error {}

async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message) return `${error.message} (${cause.message})`;
  return error.message || error.name;
}
