/**
 * Property-based checks over every zone Intl knows: random zones, instants biased towards
 * their DST transitions, random local times and expressions, compared with the Intl oracle
 * and with js-joda's ZonedDateTime.of (the reference for the gap/overlap rule).
 */
import { LocalDateTime, ZoneId, ZonedDateTime } from '@js-joda/core';
import '@js-joda/timezone';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  calculateNextRun,
  calculatePreviousRun,
  getUtcTimeForLocal,
  previewRuns,
  toLocalDateTime,
} from '../../src/time/index.js';
import {
  DAY,
  HOUR,
  MINUTE,
  OracleZone,
  fieldsOf,
  localText,
  scanTransitions,
  type LocalFields,
} from './oracle.js';

const FROM = Date.UTC(2025, 0, 1);
const TO = Date.UTC(2028, 0, 1);
const ALL_ZONES = Intl.supportedValuesOf('timeZone');

/** Zones whose Intl data (Node's ICU) and js-joda's bundled data disagree in 2025-2027. */
const DATA_DIFFERENCES = new Set<string>();
const transitionsByZone = new Map<string, number[]>();

function transitionsOf(zone: string): number[] {
  let found = transitionsByZone.get(zone);
  if (!found) {
    // Daily sampling is enough here: these instants only bias the sampling towards transitions.
    found = scanTransitions(zone, FROM, TO, DAY).map((t) => t.at);
    transitionsByZone.set(zone, found);
  }
  return found;
}

beforeAll(() => {
  for (const zone of ALL_ZONES) {
    for (const at of transitionsOf(zone)) {
      for (const probe of [at - 1000, at]) {
        const intl = localText(probe + new OracleZone(zone, probe, probe, MINUTE).initialOffset);
        if (toLocalDateTime(new Date(probe), zone) !== intl) DATA_DIFFERENCES.add(zone);
      }
    }
  }
});

const zoneArb = fc.constantFrom(...ALL_ZONES);

/** An instant in 2025-2027, within 3 hours of one of the zone's transitions half of the time. */
function instantNear(
  zone: string,
  pick: number,
  offset: number,
  uniform: number,
  nearTransition: boolean,
): number {
  const transitions = transitionsOf(zone);
  if (!nearTransition || transitions.length === 0) return FROM + 3 * DAY + (uniform % (TO - FROM - 6 * DAY));
  return (transitions[pick % transitions.length] ?? FROM) + offset;
}

const instantInputs = fc.record({
  zone: zoneArb,
  pick: fc.nat(),
  offset: fc.integer({ min: -3 * 3600, max: 3 * 3600 }).map((s) => s * 1000),
  uniform: fc.nat(),
  near: fc.boolean(),
});

describe('data sources', () => {
  it('Intl and js-joda agree on every zone in 2025-2027, except a known tzdata update', () => {
    // Europe/Chisinau moved to EU transition times in tzdata 2026a (js-joda); Node 20's ICU
    // (2025c) does not have it yet. Any other difference fails here.
    expect([...DATA_DIFFERENCES].filter((z) => z !== 'Europe/Chisinau')).toEqual([]);
  });
});

describe('getUtcTimeForLocal', () => {
  it('equals js-joda ZonedDateTime.of(local, zone) in every zone', () => {
    fc.assert(
      fc.property(instantInputs, fc.boolean(), ({ zone, pick, offset, uniform, near }, withSeconds) => {
        const instant = instantNear(zone, pick, offset, uniform, near);
        // A local reading at the same distance from the transition as `instant` is from it in UTC.
        const local = localText(instant + (withSeconds ? 0 : -(instant % MINUTE))).slice(
          0,
          withSeconds ? 19 : 16,
        );
        const expected = ZonedDateTime.of(LocalDateTime.parse(local), ZoneId.of(zone))
          .toInstant()
          .toEpochMilli();
        expect(getUtcTimeForLocal(local, zone).getTime()).toBe(expected);
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  it('equals the Intl oracle rule (gap: forward by the gap; overlap: earlier offset)', () => {
    fc.assert(
      fc.property(instantInputs, ({ zone, pick, offset, uniform, near }) => {
        fc.pre(!DATA_DIFFERENCES.has(zone));
        const instant = instantNear(zone, pick, offset, uniform, near);
        const o = new OracleZone(zone, instant - 3 * DAY, instant + 3 * DAY);
        const local =
          Math.floor(o.localOf(instant) / MINUTE) * MINUTE +
          ((Math.round(offset / MINUTE) * MINUTE) % (2 * HOUR));
        expect(getUtcTimeForLocal(localText(local).slice(0, 16), zone).toISOString()).toBe(
          new Date(o.ruleInstant(local)).toISOString(),
        );
      }),
      { numRuns: 400, seed: 11 },
    );
  });

  it('round-trips toLocalDateTime, except an overlap second pass maps to the first pass', () => {
    fc.assert(
      fc.property(instantInputs, ({ zone, pick, offset, uniform, near }) => {
        fc.pre(!DATA_DIFFERENCES.has(zone));
        const instant = Math.floor(instantNear(zone, pick, offset, uniform, near) / 1000) * 1000;
        const o = new OracleZone(zone, instant - 3 * DAY, instant + 3 * DAY);
        const text = toLocalDateTime(new Date(instant), zone);
        expect(text).toBe(localText(o.localOf(instant)));
        const back = getUtcTimeForLocal(text, zone).getTime();
        expect(back).toBe(o.instantsOf(o.localOf(instant))[0]);
      }),
      { numRuns: 400, seed: 13 },
    );
  });
});

interface Generated {
  expr: string;
  kind: 'fixed' | 'elapsed';
  times?: [number, number][];
  matches?: (f: LocalFields) => boolean;
}

const hourArb = fc.integer({ min: 0, max: 23 });
const minuteArb = fc.constantFrom(0, 1, 15, 30, 45, 59);

const scheduleArb: fc.Arbitrary<Generated> = fc.oneof(
  fc
    .uniqueArray(fc.tuple(hourArb, minuteArb), {
      minLength: 1,
      maxLength: 3,
      selector: ([h, m]) => h * 60 + m,
    })
    .map((times): Generated => {
      const hours = [...new Set(times.map(([h]) => h))];
      const minutes = [...new Set(times.map(([, m]) => m))];
      // A cron list is a product of hours and minutes.
      const product = hours.flatMap((h) => minutes.map((m): [number, number] => [h, m]));
      return { expr: `${minutes.join(',')} ${hours.join(',')} * * *`, kind: 'fixed', times: product };
    }),
  fc
    .constantFrom(5, 10, 15, 20, 30)
    .map((k): Generated => ({ expr: `*/${k} * * * *`, kind: 'elapsed', matches: (f) => f.minute % k === 0 })),
  fc.tuple(minuteArb, fc.constantFrom(1, 2, 3)).map(([m, k]): Generated => ({
    expr: `${m} */${k} * * *`,
    kind: 'elapsed',
    matches: (f) => f.minute === m && f.hour % k === 0,
  })),
  fc.tuple(minuteArb, hourArb, fc.integer({ min: 0, max: 4 })).map(([m, a, len]): Generated => ({
    expr: `${m} ${a}-${Math.min(23, a + len)} * * *`,
    kind: 'elapsed',
    matches: (f) => f.minute === m && f.hour >= a && f.hour <= Math.min(23, a + len),
  })),
);

function expectedNext(o: OracleZone, s: Generated, after: number): number {
  if (s.kind === 'fixed') {
    let best = Infinity;
    const day = Math.floor(o.localOf(after) / DAY);
    for (let d = day - 1; d <= day + 2; d++) {
      for (const [h, m] of s.times ?? []) {
        const instant = o.ruleInstant(d * DAY + h * HOUR + m * MINUTE);
        if (instant > after && instant < best) best = instant;
      }
    }
    return best;
  }
  for (let t = Math.floor(after / MINUTE) * MINUTE + MINUTE; t < after + 2 * DAY; t += MINUTE) {
    const f = fieldsOf(o.localOf(t));
    if (s.matches?.(f)) return t;
  }
  return Infinity;
}

describe('calculateNextRun in random zones', () => {
  it('equals the next fire derived from the rules with the Intl oracle', () => {
    fc.assert(
      fc.property(
        instantInputs,
        scheduleArb,
        fc.integer({ min: 0, max: 59_999 }),
        (input, schedule, jitter) => {
          fc.pre(!DATA_DIFFERENCES.has(input.zone));
          const after = instantNear(input.zone, input.pick, input.offset, input.uniform, input.near) + jitter;
          const o = new OracleZone(input.zone, after - 3 * DAY, after + 4 * DAY);
          const expected = expectedNext(o, schedule, after);
          const actual = calculateNextRun(schedule.expr, input.zone, new Date(after)).getTime();
          expect(`${schedule.expr} ${new Date(actual).toISOString()}`).toBe(
            `${schedule.expr} ${new Date(expected).toISOString()}`,
          );
        },
      ),
      { numRuns: 600, seed: 17 },
    );
  });

  it('previewRuns is strictly increasing and calculatePreviousRun mirrors calculateNextRun', () => {
    fc.assert(
      fc.property(instantInputs, scheduleArb, (input, schedule) => {
        const at = instantNear(input.zone, input.pick, input.offset, input.uniform, input.near);
        const runs = previewRuns(schedule.expr, input.zone, new Date(at), 6).map((d) => d.getTime());
        for (let i = 1; i < runs.length; i++) expect(runs[i]).toBeGreaterThan(runs[i - 1] ?? Infinity);
        const previous = calculatePreviousRun(schedule.expr, input.zone, new Date(at));
        expect(previous).not.toBeNull();
        const p = previous?.getTime() ?? 0;
        expect(p).toBeLessThanOrEqual(at);
        expect(calculateNextRun(schedule.expr, input.zone, new Date(p - 1)).getTime()).toBe(p);
        expect(calculateNextRun(schedule.expr, input.zone, new Date(p)).getTime()).toBe(runs[0]);
      }),
      { numRuns: 300, seed: 19 },
    );
  });
});
