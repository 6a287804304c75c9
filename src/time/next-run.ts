import { ValidationError } from '../errors.js';
import { compileCron, firstMatchAtOrAfter, type CompiledCron } from './cron.js';
import { TRANSITION_WINDOW_MS, getZone, resolveLocal, type Zone } from './timezone.js';
import { MAX_SUPPORTED_MS, MIN_SUPPORTED_MS, instantMs, nonNegativeInteger, resultDate } from './validate.js';

/** Far more candidate readings than any real search visits; only a bug could reach it. */
const MAX_SEARCH_STEPS = 10_000_000;

/**
 * The fire set of an expression in a zone is:
 * - fixed-time: { rule(L) : L a matching wall-clock reading }, where rule() is the gap/overlap
 *   rule of getUtcTimeForLocal — one instant per matching reading, so once per local date;
 * - elapsed-time: { I : the wall-clock reading of instant I matches } — both passes of an
 *   overlap, nothing in a gap.
 * This returns min { f in that set : f > afterMs }, or Infinity when the wall-clock search
 * runs past year 10000.
 *
 * Readings are visited in wall-clock order. Away from a transition, instants follow the same
 * order, so the first candidate after `afterMs` is the answer. Near one, order can invert (a
 * fixed time pushed through a gap lands after readings that follow the gap; an overlap's
 * second pass comes after readings that follow it on the clock), so the search keeps going
 * until no later reading can resolve to an earlier instant than the best so far.
 */
export function nextFireMs(c: CompiledCron, zone: Zone, afterMs: number): number {
  const fixed = c.kind === 'fixed-time';
  // A reading L resolves to L minus one of the offsets in force near it, so only readings
  // above afterMs + (the smallest offset near afterMs) can resolve to an instant after it.
  const lowestOffset = Math.min(
    zone.offsetAt(afterMs - TRANSITION_WINDOW_MS),
    zone.offsetAt(afterMs + TRANSITION_WINDOW_MS),
  );
  let local = firstMatchAtOrAfter(c, afterMs + lowestOffset + 1);
  let best = Infinity;
  for (let step = 0; local !== Infinity && step < MAX_SEARCH_STEPS; step++) {
    const r = resolveLocal(zone, local);
    if ((fixed || r.kind !== 'gap') && r.instant > afterMs && r.instant < best) best = r.instant;
    if (!fixed && r.kind === 'overlap' && r.later > afterMs && r.later < best) best = r.later;
    // No transition within a day of this reading: every later reading resolves later.
    if (best !== Infinity && r.offsetBefore === r.offsetAfter) return best;
    const next = firstMatchAtOrAfter(c, local + 1000);
    if (best !== Infinity) {
      // A later reading L' resolves to at least L' - (largest offset near it). Within the
      // window that is this transition's larger offset; beyond it, L' - 14 h already exceeds
      // anything this reading produced.
      if (next - local > TRANSITION_WINDOW_MS) return best;
      if (next - Math.max(r.offsetBefore, r.offsetAfter) >= best) return best;
    }
    local = next;
  }
  return best;
}

/** Fires stepped through one by one before falling back to bisection. */
const PREVIOUS_WALK_LIMIT = 16;

/**
 * max { f in the fire set : f <= atMs }, or -Infinity when there is none after
 * MIN_SUPPORTED_MS. nextFireMs(x) never decreases as x grows, so a look-back window is
 * doubled until it holds a fire; the last fire in it is then reached by stepping forward
 * (usually one or two steps) or, for a dense burst, by bisection.
 */
export function previousFireMs(c: CompiledCron, zone: Zone, atMs: number): number {
  let width = 1000;
  let high = atMs;
  let low: number;
  for (;;) {
    low = atMs - width;
    if (low < MIN_SUPPORTED_MS) {
      low = MIN_SUPPORTED_MS;
      if (!(nextFireMs(c, zone, low) <= atMs)) return -Infinity;
      break;
    }
    if (nextFireMs(c, zone, low) <= atMs) break;
    high = low;
    width *= 2;
  }
  let fire = nextFireMs(c, zone, low);
  for (let i = 0; i < PREVIOUS_WALK_LIMIT; i++) {
    const following = nextFireMs(c, zone, fire);
    if (following > atMs) return fire;
    fire = following;
  }
  // Bisect with the invariant nextFireMs(low) <= atMs < nextFireMs(high); no fire lies in
  // (high, atMs], so fire <= high.
  low = fire - 1;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (nextFireMs(c, zone, middle) <= atMs) low = middle;
    else high = middle;
  }
  return nextFireMs(c, zone, low);
}

function noRunError(field: string): ValidationError {
  return ValidationError.field(
    field,
    'the schedule has no run between this instant and the end of the supported range (9999-12-31)',
  );
}

/**
 * The first instant strictly after `after` at which the schedule fires in `timezone`.
 *
 * Wall-clock fields are matched in the zone. Fixed-time expressions (second, minute and hour
 * fields all single values or lists, e.g. `30 1 * * *`, `0 9,17 * * 1-5`) fire once per
 * matching local date, a time in a spring-forward gap moved forward by the gap, a time in a
 * fall-back overlap in its first pass. Every other expression (`*`, a range or a step in
 * those fields, e.g. `*\/15 * * * *`, `0 *\/2 * * *`) follows elapsed time: it fires in both
 * passes of a repeated hour and never inside a gap. Never twice at one instant.
 *
 * @param after - defaults to the current time; engines pass their own `now`.
 * @throws InvalidCronError, InvalidTimezoneError, or ValidationError (`after` not a valid Date).
 */
export function calculateNextRun(cron: string, timezone: string, after: Date = new Date()): Date {
  const compiled = compileCron(cron);
  const zone = getZone(timezone);
  const afterMs = instantMs(after, 'after');
  const next = nextFireMs(compiled, zone, afterMs);
  if (next > MAX_SUPPORTED_MS) throw noRunError('after');
  return resultDate(next, 'after');
}

/**
 * The last instant at or before `atOrBefore` at which the schedule fires (the mirror of
 * {@link calculateNextRun}: `calculateNextRun(c, z, x)` is the first run after the
 * `calculatePreviousRun(c, z, x)` run). Useful for "run the latest missed occurrence". Null
 * when the schedule has no run since 1900.
 */
export function calculatePreviousRun(cron: string, timezone: string, atOrBefore: Date): Date | null {
  const compiled = compileCron(cron);
  const zone = getZone(timezone);
  const atMs = instantMs(atOrBefore, 'atOrBefore');
  const previous = previousFireMs(compiled, zone, atMs);
  return previous === -Infinity ? null : new Date(previous);
}

/** Most runs {@link previewRuns} returns in one call. */
export const MAX_PREVIEW_RUNS = 1000;

/**
 * The next `count` runs strictly after `from`, in order (each the
 * {@link calculateNextRun} of the one before). Stops early, returning fewer, only at the end
 * of the supported range (9999-12-31).
 *
 * @param count - integer 0-1000.
 */
export function previewRuns(cron: string, timezone: string, from: Date, count: number): Date[] {
  const compiled = compileCron(cron);
  const zone = getZone(timezone);
  let cursor = instantMs(from, 'from');
  const wanted = nonNegativeInteger(count, 'count', MAX_PREVIEW_RUNS);
  const runs: Date[] = [];
  while (runs.length < wanted) {
    cursor = nextFireMs(compiled, zone, cursor);
    if (cursor > MAX_SUPPORTED_MS) break;
    runs.push(new Date(cursor));
  }
  return runs;
}
