import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import type { Case, Outcome, Target } from './cases.js';
import { buildTargets } from './targets.js';
import { dumpedTables, openWorld, prototypeFingerprint, render, SEED, type World } from './support.js';

/*
 * Issue #8, hostile input: every public method of the scheduler that takes input, fed
 * malformed input on every backend. Each call must return a rejected promise (never throw
 * synchronously) with a ValidationError naming the offending field — or the library's
 * documented typed error, e.g. NotFoundError for a well-formed id that does not exist —
 * and a dump of every table must be byte-identical before and after.
 *
 * The case list is the same on every backend (a fixed seed; TICKWORK_FUZZ_SEED overrides
 * it), so a failure reproduces by its label. Prints per method: cases, rejected (typed),
 * accepted-valid (controls), failures and rows-changed.
 */

/** Examples printed per kind of failure. */
const SHOWN = Number(process.env.TICKWORK_FUZZ_SHOWN ?? 4);

/** Generated cases per argument of each method, on top of the curated ones. */
const RANDOM_RUNS = Number(process.env.TICKWORK_FUZZ_RUNS ?? 6);

interface Figures {
  cases: number;
  invalid: number;
  notFound: number;
  valid: number;
  /** Invalid or not-found cases rejected (or answered) as documented. */
  rejected: number;
  acceptedValid: number;
  failed: number;
  rowsChanged: number;
  syncThrows: number;
}

interface Failure {
  label: string;
  reasons: string[];
}

const figures = new Map<string, Map<string, Figures>>();

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

async function invoke(world: World, c: Case): Promise<Outcome> {
  let returned: unknown;
  try {
    returned = c.call(world.scheduler);
  } catch (error) {
    return { sync: true, notPromise: false, status: 'rejected', error };
  }
  if (!isThenable(returned)) return { sync: false, notPromise: true, status: 'resolved', value: returned };
  try {
    return { sync: false, notPromise: false, status: 'resolved', value: await returned };
  } catch (error) {
    return { sync: false, notPromise: false, status: 'rejected', error };
  }
}

async function runCases(
  world: World,
  cases: readonly Case[],
): Promise<{ figures: Figures; failures: Failure[] }> {
  const f: Figures = {
    cases: 0,
    invalid: 0,
    notFound: 0,
    valid: 0,
    rejected: 0,
    acceptedValid: 0,
    failed: 0,
    rowsChanged: 0,
    syncThrows: 0,
  };
  const failures: Failure[] = [];
  const proto = prototypeFingerprint();
  let before = await world.dump();
  for (const c of cases) {
    f.cases++;
    if (c.category === 'invalid') f.invalid++;
    else if (c.category === 'not-found') f.notFound++;
    else f.valid++;

    const outcome = await invoke(world, c);
    const reasons: string[] = [];
    if (outcome.sync) {
      f.syncThrows++;
      reasons.push('threw synchronously instead of returning a rejected promise');
    }
    if (outcome.notPromise) reasons.push(`returned ${render(outcome.value, 40)}, not a promise`);
    const verdict = c.judge(outcome);
    if (verdict) reasons.push(verdict);

    const after = await world.dump();
    if (after !== before) {
      if (!c.writes) {
        f.rowsChanged++;
        reasons.push(`stored rows changed (${changedTables(before, after).join(', ')})`);
      }
      before = after;
    }
    if (prototypeFingerprint() !== proto || ({} as Record<string, unknown>).polluted !== undefined) {
      reasons.push('Object.prototype was polluted');
    }

    if (reasons.length > 0) {
      f.failed++;
      failures.push({ label: c.label, reasons });
    } else if (c.category === 'valid') {
      f.acceptedValid++;
    } else {
      f.rejected++;
    }
  }
  return { figures: f, failures };
}

/** The tables whose rows differ between two dumps. */
function changedTables(before: string, after: string): string[] {
  const rows = (dump: string) =>
    new Map((JSON.parse(dump) as Array<{ t: string; d: string }>).map((r) => [r.t, r.d]));
  const a = rows(before);
  const b = rows(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((table) => a.get(table) !== b.get(table));
}

/** Failures grouped by kind (the reason without its details), with a few examples each. */
function summarise(method: string, total: number, failures: Failure[]): string {
  const kinds = new Map<string, Failure[]>();
  for (const failure of failures) {
    for (const reason of failure.reasons) {
      const kind = reason
        .replace(/\(resolved .*$/s, '(resolved …)')
        .replace(/^(wrong error \w+).*$/s, '$1')
        .replace(/^(ValidationError not naming \S+).*$/s, '$1')
        .replace(/^(valid call rejected: \w+).*$/s, '$1')
        .replace(/^stored rows changed.*$/s, 'stored rows changed');
      kinds.set(kind, [...(kinds.get(kind) ?? []), failure]);
    }
  }
  const lines = [`${method}: ${failures.length} of ${total} cases failed (seed ${SEED})`];
  for (const [kind, list] of [...kinds].sort((a, b) => b[1].length - a[1].length)) {
    lines.push(`  ${list.length} × ${kind}`);
    for (const failure of list.slice(0, SHOWN)) {
      const detail = failure.reasons.find((r) => r.startsWith(kind.replace(/ \(resolved …\)$/, ''))) ?? '';
      lines.push(`      ${failure.label}${detail && detail !== kind ? `  →  ${detail.slice(0, 200)}` : ''}`);
    }
    if (list.length > SHOWN) lines.push(`      … and ${list.length - SHOWN} more`);
  }
  return lines.join('\n');
}

function table(rows: Array<[string, Figures]>): string {
  const header = [
    'method',
    'cases',
    'invalid',
    'not-found',
    'valid',
    'rejected',
    'accepted-valid',
    'failed',
    'rows-changed',
    'sync-throws',
  ];
  const body = rows.map(([name, f]) => [
    name,
    f.cases,
    f.invalid,
    f.notFound,
    f.valid,
    f.rejected,
    f.acceptedValid,
    f.failed,
    f.rowsChanged,
    f.syncThrows,
  ]);
  const total = rows.reduce(
    (sum, [, f]) =>
      sum.map(
        (v, k) =>
          v +
          [
            f.cases,
            f.invalid,
            f.notFound,
            f.valid,
            f.rejected,
            f.acceptedValid,
            f.failed,
            f.rowsChanged,
            f.syncThrows,
          ][k]!,
      ),
    [0, 0, 0, 0, 0, 0, 0, 0, 0],
  );
  const all = [header, ...body, ['TOTAL', ...total]].map((r) => r.map(String));
  const widths = header.map((_, k) => Math.max(...all.map((r) => r[k]!.length)));
  return all
    .map((r) =>
      r.map((cell, k) => (k === 0 ? cell.padEnd(widths[k]!) : cell.padStart(widths[k]!))).join('  '),
    )
    .join('\n');
}

console.log(
  `hostile fuzz: seed ${SEED} (TICKWORK_FUZZ_SEED=${SEED} to replay), ${RANDOM_RUNS} generated cases per argument, ` +
    `backends ${backends.map((b) => b.name).join(', ')}`,
);

describe.each(backends)('hostile input on $name', (backend) => {
  let world: World;
  let targets: Target[];
  const rows = new Map<string, Figures>();
  figures.set(backend.name, rows);

  beforeAll(async () => {
    world = await openWorld(backend);
    targets = buildTargets(world.ids, SEED, RANDOM_RUNS);
    const tables = dumpedTables(await world.dump());
    console.log(
      `${backend.name}: dumping ${tables.length} tables before and after every call: ${tables.join(', ')}`,
    );
  });

  afterAll(async () => {
    await world?.close();
    console.log(`hostile fuzz figures on ${backend.name} (seed ${SEED}):\n${table([...rows])}`);
  });

  // The method list is static; the cases are built once the seeded ids are known.
  const methods = buildTargets(
    {
      campaignId: 1,
      runId: 1,
      sequenceId: 1,
      stepIds: [1, 2],
      enrollmentIds: [1, 2],
      batchId: 1,
      batchCampaignId: 42,
      pendingKey: 'k',
      sentKey: 'k',
    },
    SEED,
    0,
  ).map((t) => t.method);

  it.each(methods)('%s rejects malformed input with typed errors and changes no row', async (method) => {
    const target = targets.find((t) => t.method === method)!;
    const { figures: f, failures } = await runCases(
      world,
      target.cases.filter((c) => !c.group),
    );
    rows.set(method, f);
    expect(f.cases).toBeGreaterThan(0);
    expect(failures.length, summarise(`${backend.name} ${method}`, f.cases, failures)).toBe(0);
  });

  // One test for one quirk across every method: zod's z.object() takes any object, so a Date
  // or a Map where an input object belongs passes as `{}` (an options bag then means "defaults").
  it('a Date or a Map in place of an input object is rejected, not read as {}', async () => {
    const cases = targets.flatMap((t) =>
      t.cases
        .filter((c) => c.group === 'non-plain-object')
        .map((c) => ({ ...c, label: `${t.method}: ${c.label}` })),
    );
    const { figures: f, failures } = await runCases(world, cases);
    rows.set('(non-plain objects, all methods)', f);
    expect(failures.length, summarise(`${backend.name} non-plain objects`, f.cases, failures)).toBe(0);
  });
});

afterAll(() => {
  const totals = [...figures].map(([backend, rows]) => {
    const sum = [...rows.values()].reduce(
      (acc, f) => ({
        cases: acc.cases + f.cases,
        rejected: acc.rejected + f.rejected,
        acceptedValid: acc.acceptedValid + f.acceptedValid,
        failed: acc.failed + f.failed,
        rowsChanged: acc.rowsChanged + f.rowsChanged,
      }),
      { cases: 0, rejected: 0, acceptedValid: 0, failed: 0, rowsChanged: 0 },
    );
    return `  ${backend}: ${sum.cases} cases, ${sum.rejected} rejected as documented, ${sum.acceptedValid} valid accepted, ${sum.failed} failed, ${sum.rowsChanged} with rows changed`;
  });
  console.log(`hostile fuzz totals (seed ${SEED}):\n${totals.join('\n')}`);
});
