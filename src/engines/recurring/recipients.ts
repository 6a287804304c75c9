import { z } from 'zod';
import type { Recipient } from '../../delivery/types.js';
import { RecipientSourceError } from '../../errors.js';
import { parseUrlSourceOptions, type UrlSourceOptions, type UrlSourceOptionsInput } from './options.js';
import type { InvalidRecipientSample } from './types.js';
import { fetchUrlRecipients } from './url-source.js';
import { unstorableText } from '../../validation.js';

/** One entry a source may return: an address, or an object with an `email` and the host's own fields. */
export type RecipientInput =
  string | { email: string; name?: string; timezone?: string; [field: string]: unknown };

export interface RecipientSourceContext {
  /** The campaign being run; null when `fetchRecipients` is called directly. */
  campaignId: number | null;
  /** Aborted when the source takes longer than `sourceTimeoutMs` or the caller gives up. */
  signal: AbortSignal;
}

/** A host-registered recipient source (the mailer's `api`): gets the campaign's `recipientData`. */
export type RecipientSource = (
  data: unknown,
  context: RecipientSourceContext,
) => Promise<Iterable<RecipientInput>> | Iterable<RecipientInput>;

/** Host-registered recipient sources by name, beside the built-in `static` and `url`. */
export type RecipientSources = Record<string, RecipientSource>;

export const BUILT_IN_SOURCES = ['static', 'url'] as const;

export interface FetchRecipientsOptions {
  /** The host's named sources. */
  sources?: RecipientSources;
  /** Settings of the built-in `url` source (it is off unless origins are allowed). */
  url?: UrlSourceOptionsInput;
  /** More entries than this fails the call (default 100,000). */
  maxRecipients?: number;
  /** Bounds a host source's call (default 60 s); the `url` source has its own `url.timeoutMs`. */
  sourceTimeoutMs?: number;
  campaignId?: number | null;
  signal?: AbortSignal;
}

/** What a source yielded, cleaned: valid, de-duplicated recipients plus what was dropped and why. */
export interface FetchedRecipients {
  /** Valid recipients, the first of each email (compared case-insensitively), in source order. */
  recipients: Recipient[];
  invalidCount: number;
  duplicateCount: number;
  /** The first invalid entries (up to 20) and why each was skipped. */
  invalidSamples: InvalidRecipientSample[];
}

export const MAX_INVALID_SAMPLES = 20;
const DEFAULT_MAX_RECIPIENTS = 100_000;
const DEFAULT_SOURCE_TIMEOUT_MS = 60_000;
const emailSchema = z.email();

/** Resolved engine settings, so the engine does not re-parse options on every run. */
export interface ResolvedFetchOptions {
  sources: RecipientSources;
  url: UrlSourceOptions;
  maxRecipients: number;
  sourceTimeoutMs: number;
  campaignId: number | null;
  signal?: AbortSignal;
}

/**
 * Resolves a campaign's recipients: the built-in `static` list, the built-in `url` source
 * (GET JSON from an allowed origin), or a source the host registered. Entries that are not
 * valid recipients are skipped and counted, duplicates are dropped (the first wins).
 *
 * @throws RecipientSourceError when the source is unknown, fails, times out, or returns
 *   something that is not a list, or more entries than `maxRecipients`.
 */
export async function fetchRecipients(
  source: string,
  data: unknown,
  options: FetchRecipientsOptions = {},
): Promise<FetchedRecipients> {
  return resolveRecipients(source, data, {
    sources: options.sources ?? {},
    url: parseUrlSourceOptions(options.url, 'options.url'),
    maxRecipients: options.maxRecipients ?? DEFAULT_MAX_RECIPIENTS,
    sourceTimeoutMs: options.sourceTimeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS,
    campaignId: options.campaignId ?? null,
    signal: options.signal,
  });
}

export async function resolveRecipients(
  source: string,
  data: unknown,
  options: ResolvedFetchOptions,
): Promise<FetchedRecipients> {
  let entries: unknown[];
  if (source === 'static') {
    if (!Array.isArray(data)) {
      throw new RecipientSourceError('static', 'static source: recipientData must be an array of recipients');
    }
    entries = data;
  } else if (source === 'url') {
    entries = await fetchUrlRecipients(data, options.url, options.signal);
  } else {
    const fn = Object.hasOwn(options.sources, source) ? options.sources[source] : undefined;
    if (typeof fn !== 'function') {
      throw new RecipientSourceError(
        source,
        `unknown recipient source '${source}' (known: ${knownSources(options.sources)})`,
      );
    }
    entries = await callHostSource(source, fn, data, options);
  }
  if (entries.length > options.maxRecipients) {
    throw new RecipientSourceError(
      source,
      `${source} source: returned ${entries.length} entries, more than maxRecipientsPerRun (${options.maxRecipients})`,
    );
  }
  return cleanRecipients(entries);
}

export function knownSources(sources: RecipientSources): string {
  return [...BUILT_IN_SOURCES, ...Object.keys(sources)].join(', ');
}

async function callHostSource(
  name: string,
  fn: RecipientSource,
  data: unknown,
  options: ResolvedFetchOptions,
): Promise<unknown[]> {
  const controller = new AbortController();
  // The caller's signal (the scheduler closing) ends the wait even for a source that ignores
  // its own signal: the run is recorded as failed and retried, never left hanging.
  let stop: (error: RecipientSourceError) => void = () => undefined;
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  stopped.catch(() => undefined);
  const onAbort = () => {
    controller.abort(options.signal?.reason);
    stop(new RecipientSourceError(name, `${name} source: stopped: the scheduler is closing`));
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    // A real timer on purpose: it bounds the host's I/O, it decides nothing about schedules.
    timer = setTimeout(() => {
      const error = new RecipientSourceError(
        name,
        `${name} source: did not answer within ${options.sourceTimeoutMs} ms`,
      );
      controller.abort(error);
      reject(error);
    }, options.sourceTimeoutMs);
  });
  try {
    const result = await Promise.race([
      Promise.resolve().then(() => fn(data, { campaignId: options.campaignId, signal: controller.signal })),
      timedOut,
      stopped,
    ]);
    if (
      result === null ||
      typeof result !== 'object' ||
      typeof (result as Iterable<unknown>)[Symbol.iterator] !== 'function'
    ) {
      throw new RecipientSourceError(
        name,
        `${name} source: returned ${describeValue(result)}, expected a list of recipients`,
      );
    }
    const entries: unknown[] = [];
    for (const entry of result as Iterable<unknown>) {
      entries.push(entry);
      // Stop early on a runaway iterable instead of exhausting memory.
      if (entries.length > options.maxRecipients) break;
    }
    return entries;
  } catch (error) {
    if (error instanceof RecipientSourceError) throw error;
    throw new RecipientSourceError(name, `${name} source: failed: ${describeValue(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Validates, de-duplicates (by lowercased email, the first wins) and JSON-normalises source entries. */
export function cleanRecipients(entries: readonly unknown[]): FetchedRecipients {
  const recipients: Recipient[] = [];
  const seen = new Set<string>();
  const invalidSamples: InvalidRecipientSample[] = [];
  let invalidCount = 0;
  let duplicateCount = 0;
  const invalid = (index: number, reason: string) => {
    invalidCount += 1;
    if (invalidSamples.length < MAX_INVALID_SAMPLES) invalidSamples.push({ index, reason });
  };
  entries.forEach((entry, index) => {
    let fields: Record<string, unknown>;
    let email: unknown;
    if (typeof entry === 'string') {
      fields = {};
      email = entry;
    } else if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) {
      fields = entry as Record<string, unknown>;
      email = fields.email;
    } else {
      return invalid(index, `${describeValue(entry)} is not an email address or an object with an email`);
    }
    if (typeof email !== 'string') return invalid(index, 'has no email');
    const address = email.trim();
    if (!emailSchema.safeParse(address).success)
      return invalid(index, `'${clip(address)}' is not a valid email address`);
    const key = address.toLowerCase();
    if (seen.has(key)) {
      duplicateCount += 1;
      return;
    }
    let recipient: Recipient;
    try {
      // The recipient travels inside the outbox row as JSON: normalise it now, so what the
      // transport gets on a retry is exactly what it would have got the first time.
      recipient = JSON.parse(JSON.stringify({ ...fields, email: address })) as Recipient;
    } catch {
      return invalid(index, 'has fields that are not JSON-serialisable');
    }
    const [unstorable] = unstorableText(recipient);
    if (unstorable) return invalid(index, `${unstorable.path || 'a field'} ${unstorable.message}`);
    seen.add(key);
    recipients.push(recipient);
  });
  return { recipients, invalidCount, duplicateCount, invalidSamples };
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function describeValue(value: unknown): string {
  if (value instanceof Error) return value.message || value.name;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `'${clip(value)}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
