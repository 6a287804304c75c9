/*
 * Turns what the workers logged and what the outbox holds into the harness figures, and
 * lists every broken promise as a readable problem (a test asserts the list is empty).
 */
import type { Scheduler } from '../../../src/index.js';
import type { TestDatabase } from '../../support/backends.js';
import { sleep } from './fleet.js';
import type { CallLine } from './recording-transport.js';
import type { ExpectedDeliveries } from './workload.js';

export interface OutboxRow {
  key: string;
  sourceType: string;
  status: string;
  attempts: number;
  lastError: string | null;
}

export async function readOutbox(database: TestDatabase): Promise<OutboxRow[]> {
  const rows = await database.raw<{
    key: string;
    source_type: string;
    status: string;
    attempts: number | string;
    last_error: string | null;
  }>('select idempotency_key as key, source_type, status, attempts, last_error from tickwork_outbox');
  return rows.map((r) => ({
    key: r.key,
    sourceType: r.source_type,
    status: r.status,
    attempts: Number(r.attempts),
    lastError: r.last_error,
  }));
}

/** One transport call: its start line and, unless its process died first, its end line. */
export interface Call {
  begin: CallLine;
  end?: CallLine;
}

export interface Reconciliation {
  deliveries: number;
  calls: number;
  sent: number;
  dead: number;
  /** Calls that follow a logged failure of the same key (ordinary retries). */
  retries: number;
  /** Calls that repeat a key whose earlier call was not a logged failure. */
  duplicates: number;
  /** Of those, the ones explained by a kill: the earlier call's process was killed and its lease had expired. */
  resentAfterKill: number;
  /** Expected deliveries that did not end sent or dead, or ended sent without the transport having sent them. */
  lost: number;
  /** Every broken promise, readable. */
  problems: string[];
  /** Calls grouped by key, in attempt order. */
  byKey: Map<string, Call[]>;
  /** Per outbox source type: deliveries the workloads expect, outbox rows, and how they ended. */
  bySource: Record<string, SourceFigures>;
}

export interface SourceFigures {
  expected: number;
  rows: number;
  sent: number;
  dead: number;
  /** Calls that repeated a key after its killed holder's lease expired (see resentAfterKill). */
  resent: number;
}

const FAILURES = new Set(['transient', 'timeout', 'permanent']);
const MAX_LISTED = 10;

export function reconcile(params: {
  expected: readonly ExpectedDeliveries[];
  rows: readonly OutboxRow[];
  lines: readonly CallLine[];
  /** Pids the harness killed; a repeat after one of them is allowed once its lease expired. */
  killed?: ReadonlySet<number>;
  leaseMs: number;
}): Reconciliation {
  const problems: string[] = [];
  const note = (list: string[], text: string) => {
    if (list.length < MAX_LISTED) list.push(text);
  };
  const killed = params.killed ?? new Set<number>();

  // Pair start and end lines of each call (a process makes at most one call per key and attempt).
  const ends = new Map<string, CallLine>();
  for (const line of params.lines)
    if (line.t === 'E') ends.set(`${line.pid}|${line.key}|${line.attempt}`, line);
  const byKey = new Map<string, Call[]>();
  let calls = 0;
  for (const begin of params.lines) {
    if (begin.t !== 'B') continue;
    calls += 1;
    const call: Call = { begin, end: ends.get(`${begin.pid}|${begin.key}|${begin.attempt}`) };
    const list = byKey.get(begin.key);
    if (list) list.push(call);
    else byKey.set(begin.key, [call]);
  }

  let retries = 0;
  let duplicates = 0;
  let resentAfterKill = 0;
  const resentBySource = new Map<string, number>();
  const repeatProblems: string[] = [];
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.begin.attempt - b.begin.attempt || a.begin.wall - b.begin.wall);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const next = list[i]!;
      if (next.begin.attempt <= prev.begin.attempt) {
        note(
          repeatProblems,
          `${key}: attempt ${next.begin.attempt} handed to the transport twice (pids ${prev.begin.pid}, ${next.begin.pid})`,
        );
      }
      if (prev.end && FAILURES.has(prev.end.outcome!)) {
        if (prev.end.outcome === 'permanent')
          note(repeatProblems, `${key}: sent again after a permanent failure`);
        retries += 1;
        continue;
      }
      duplicates += 1;
      const how = prev.end
        ? `after it was sent (attempt ${prev.begin.attempt})`
        : `while attempt ${prev.begin.attempt} never finished`;
      if (!killed.has(prev.begin.pid)) {
        note(
          repeatProblems,
          `${key}: handed to the transport again ${how}, and its first process (${prev.begin.pid}) was not killed`,
        );
      } else if (next.begin.now < prev.begin.now + params.leaseMs) {
        note(
          repeatProblems,
          `${key}: re-claimed at ${next.begin.now} before the lease from ${prev.begin.now} (+${params.leaseMs} ms) expired`,
        );
      } else {
        resentAfterKill += 1;
        resentBySource.set(next.begin.src, (resentBySource.get(next.begin.src) ?? 0) + 1);
      }
    }
  }
  problems.push(...repeatProblems);

  // Reconcile the outbox with the input, per source type.
  const expectedBySource = new Map<string, { count: number; keys?: Set<string> }>();
  for (const e of params.expected) {
    const entry = expectedBySource.get(e.sourceType) ?? { count: 0, keys: new Set<string>() };
    entry.count += e.count;
    if (e.keys && entry.keys) for (const k of e.keys) entry.keys.add(k);
    else entry.keys = undefined;
    expectedBySource.set(e.sourceType, entry);
  }
  const rowsBySource = new Map<string, OutboxRow[]>();
  for (const row of params.rows) {
    const list = rowsBySource.get(row.sourceType);
    if (list) list.push(row);
    else rowsBySource.set(row.sourceType, [row]);
  }
  let lost = 0;
  const lostProblems: string[] = [];
  for (const source of new Set([...expectedBySource.keys(), ...rowsBySource.keys()])) {
    const want = expectedBySource.get(source);
    const rows = rowsBySource.get(source) ?? [];
    if (!want) {
      problems.push(`${rows.length} outbox rows of unexpected source type '${source}'`);
      continue;
    }
    if (want.keys) {
      const present = new Set(rows.map((r) => r.key));
      for (const key of want.keys) {
        if (!present.has(key)) {
          lost += 1;
          note(lostProblems, `${key}: no outbox row`);
        }
      }
      for (const key of present)
        if (!want.keys.has(key)) note(problems, `${key}: an outbox row no workload asked for`);
    } else if (rows.length < want.count) {
      lost += want.count - rows.length;
      note(lostProblems, `source '${source}': ${rows.length} outbox rows, ${want.count} expected`);
    } else if (rows.length > want.count) {
      problems.push(`source '${source}': ${rows.length} outbox rows, only ${want.count} expected`);
    }
  }
  const bySource: Record<string, SourceFigures> = {};
  for (const source of [...new Set([...expectedBySource.keys(), ...rowsBySource.keys()])].sort()) {
    bySource[source] = {
      expected: expectedBySource.get(source)?.count ?? 0,
      rows: rowsBySource.get(source)?.length ?? 0,
      sent: 0,
      dead: 0,
      resent: 0,
    };
  }
  for (const [source, resent] of resentBySource) {
    if (bySource[source]) bySource[source].resent = resent;
    else problems.push(`${resent} keys re-sent with origin type '${source}', which no outbox row has`);
  }
  let sent = 0;
  let dead = 0;
  for (const row of params.rows) {
    const list = byKey.get(row.key) ?? [];
    if (row.status === 'sent') bySource[row.sourceType]!.sent += 1;
    if (row.status === 'dead') bySource[row.sourceType]!.dead += 1;
    if (row.status === 'sent') {
      sent += 1;
      if (!list.some((c) => c.end?.outcome === 'sent')) {
        lost += 1;
        note(lostProblems, `${row.key}: marked sent, but the transport never sent it`);
      }
    } else if (row.status === 'dead') {
      dead += 1;
      if (list.length === 0 && !/lease expired/.test(row.lastError ?? '')) {
        note(lostProblems, `${row.key}: dead (${row.lastError}) without ever reaching the transport`);
      }
    } else {
      lost += 1;
      note(
        lostProblems,
        `${row.key}: ended ${row.status} after ${row.attempts} attempts, neither sent nor dead`,
      );
    }
  }
  problems.push(...lostProblems);
  const outboxKeys = new Set(params.rows.map((r) => r.key));
  for (const key of byKey.keys())
    if (!outboxKeys.has(key)) note(problems, `${key}: handed to the transport but not in the outbox`);

  const deliveries = [...expectedBySource.values()].reduce((n, e) => n + e.count, 0);
  if (sent + dead !== deliveries) problems.push(`sent ${sent} + dead ${dead} != ${deliveries} deliveries`);
  return {
    deliveries,
    calls,
    sent,
    dead,
    retries,
    duplicates,
    resentAfterKill,
    lost,
    problems,
    byKey,
    bySource,
  };
}

/**
 * Polls the outbox until `total` rows have ended sent or dead and none is left to do, or
 * throws after `timeoutMs` with the counts it saw (and whatever `explain` adds).
 */
export async function waitUntilSettled(
  scheduler: Scheduler,
  total: number,
  timeoutMs: number,
  explain: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await scheduler.deliveries.counts();
    const open = counts.pending + counts.sending + counts.retrying;
    if (open === 0 && counts.sent + counts.dead + counts.cancelled >= total) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the outbox did not settle within ${timeoutMs} ms: ${JSON.stringify(counts)} of ${total}. ${explain()}`,
      );
    }
    await sleep(200);
  }
}

export interface Figures {
  harness: string;
  backend: string;
  processes: number;
  deliveries: number;
  calls: number;
  duplicates: number;
  lost: number;
  retries: number;
  dead: number;
  kills: number;
  /** Keys handed to the transport again (same key, next attempt) after their holder's lease expired. */
  resent?: number;
  tickErrors?: number;
  /** The error a fault produced, for the log. */
  error?: string;
  seed?: number;
  seconds: number;
  /** Per outbox source type (direct, recurring, sequence, batch): expected deliveries, rows, outcomes. */
  bySource?: Record<string, SourceFigures>;
}

/** One line per harness run, in CI output. */
export function printFigures(f: Figures): void {
  const parts = [
    `processes=${f.processes}`,
    `deliveries=${f.deliveries}`,
    `calls=${f.calls}`,
    `duplicates=${f.duplicates}`,
    `lost=${f.lost}`,
    `retries=${f.retries}`,
    `dead=${f.dead}`,
    `kills=${f.kills}`,
  ];
  if (f.bySource !== undefined) {
    const sources = Object.entries(f.bySource);
    parts.push(`by-source=${sources.map(([name, s]) => `${name}:${s.expected}`).join(',')}`);
    const engines = sources.filter(([name]) => name !== 'direct').reduce((n, [, s]) => n + s.expected, 0);
    parts.push(`from-engines=${engines}`);
    if (f.resent !== undefined) {
      parts.push(`resent-by-source=${sources.map(([name, s]) => `${name}:${s.resent}`).join(',')}`);
    }
  }
  if (f.resent !== undefined) parts.push(`resent-after-lease=${f.resent}`);
  if (f.tickErrors !== undefined) parts.push(`tick-errors=${f.tickErrors}`);
  if (f.seed !== undefined) parts.push(`seed=${f.seed}`);
  parts.push(`time=${f.seconds.toFixed(1)}s`);
  if (f.error !== undefined) parts.push(`error="${f.error}"`);
  console.log(`[reliability] ${f.harness} on ${f.backend}: ${parts.join(' ')}`);
}
