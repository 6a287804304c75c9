/**
 * The DST rules on hand-worked examples (the oracle suite checks the same rules
 * exhaustively). Times in comments are local wall-clock readings.
 */
import { describe, expect, it } from 'vitest';
import {
  calculateNextRun,
  calculatePreviousRun,
  previewRuns,
  toLocalDateTime,
} from '../../src/time/index.js';

function runs(expr: string, zone: string, from: string, count: number): string[] {
  return previewRuns(expr, zone, new Date(from), count).map(
    (d) => `${d.toISOString().slice(0, 19)}Z ${toLocalDateTime(d, zone).slice(5)}`,
  );
}

describe('America/New_York (spring 2025-03-09 02:00→03:00, autumn 2025-11-02 02:00→01:00)', () => {
  const NY = 'America/New_York';

  it('a fixed time inside the gap moves forward by the gap: 02:30 fires at 03:30 EDT', () => {
    expect(runs('30 2 * * *', NY, '2025-03-08T12:00:00Z', 2)).toEqual([
      '2025-03-09T07:30:00Z 03-09T03:30:00',
      '2025-03-10T06:30:00Z 03-10T02:30:00',
    ]);
  });

  it('a fixed time inside the overlap fires once, at the earlier offset (01:30 EDT)', () => {
    expect(runs('30 1 * * *', NY, '2025-11-01T12:00:00Z', 2)).toEqual([
      '2025-11-02T05:30:00Z 11-02T01:30:00',
      '2025-11-03T06:30:00Z 11-03T01:30:00',
    ]);
    // Asked from inside the second pass, the day's run is already behind: next is tomorrow.
    expect(calculateNextRun('30 1 * * *', NY, new Date('2025-11-02T06:10:00Z')).toISOString()).toBe(
      '2025-11-03T06:30:00.000Z',
    );
  });

  it('0 2,3 on the gap day: 02:00 and 03:00 are one instant, fired once', () => {
    expect(runs('0 2,3 * * *', NY, '2025-03-08T12:00:00Z', 3)).toEqual([
      '2025-03-09T07:00:00Z 03-09T03:00:00',
      '2025-03-10T06:00:00Z 03-10T02:00:00',
      '2025-03-10T07:00:00Z 03-10T03:00:00',
    ]);
  });

  it('elapsed-time schedules fire in both passes of the repeated hour', () => {
    expect(runs('*/30 * * * *', NY, '2025-11-02T04:00:00Z', 6)).toEqual([
      '2025-11-02T04:30:00Z 11-02T00:30:00',
      '2025-11-02T05:00:00Z 11-02T01:00:00',
      '2025-11-02T05:30:00Z 11-02T01:30:00',
      '2025-11-02T06:00:00Z 11-02T01:00:00',
      '2025-11-02T06:30:00Z 11-02T01:30:00',
      '2025-11-02T07:00:00Z 11-02T02:00:00',
    ]);
    expect(calculateNextRun('30 * * * *', NY, new Date('2025-11-02T05:40:00Z')).toISOString()).toBe(
      '2025-11-02T06:30:00.000Z',
    );
  });

  it('elapsed-time schedules invent nothing inside the gap', () => {
    expect(runs('*/30 * * * *', NY, '2025-03-09T06:00:00Z', 3)).toEqual([
      '2025-03-09T06:30:00Z 03-09T01:30:00',
      '2025-03-09T07:00:00Z 03-09T03:00:00',
      '2025-03-09T07:30:00Z 03-09T03:30:00',
    ]);
    expect(runs('0 */2 * * *', NY, '2025-03-09T04:00:00Z', 2)).toEqual([
      '2025-03-09T05:00:00Z 03-09T00:00:00',
      '2025-03-09T08:00:00Z 03-09T04:00:00',
    ]);
  });

  it('calculatePreviousRun mirrors it across the overlap', () => {
    expect(calculatePreviousRun('30 * * * *', NY, new Date('2025-11-02T06:40:00Z'))?.toISOString()).toBe(
      '2025-11-02T06:30:00.000Z',
    );
    expect(calculatePreviousRun('30 1 * * *', NY, new Date('2025-11-02T06:40:00Z'))?.toISOString()).toBe(
      '2025-11-02T05:30:00.000Z',
    );
  });
});

describe('Australia/Lord_Howe: a 30-minute shift', () => {
  const LH = 'Australia/Lord_Howe';

  it('spring 2025-10-05 02:00→02:30: a gap time can land after a later listed time', () => {
    // 02:15 is in the gap and moves to 02:45; 02:40 exists. Fired in time order, each once.
    expect(runs('15,40 2 * * *', LH, '2025-10-04T12:00:00Z', 3)).toEqual([
      '2025-10-04T15:40:00Z 10-05T02:40:00',
      '2025-10-04T15:45:00Z 10-05T02:45:00',
      '2025-10-05T15:15:00Z 10-06T02:15:00',
    ]);
  });

  it('autumn 2026-04-05 02:00→01:30: */15 keeps a 15-minute rhythm through the repeated half hour', () => {
    expect(runs('*/15 * * * *', LH, '2026-04-04T14:20:00Z', 5)).toEqual([
      '2026-04-04T14:30:00Z 04-05T01:30:00',
      '2026-04-04T14:45:00Z 04-05T01:45:00',
      '2026-04-04T15:00:00Z 04-05T01:30:00',
      '2026-04-04T15:15:00Z 04-05T01:45:00',
      '2026-04-04T15:30:00Z 04-05T02:00:00',
    ]);
    expect(runs('45 1 * * *', LH, '2026-04-04T12:00:00Z', 2)).toEqual([
      '2026-04-04T14:45:00Z 04-05T01:45:00',
      '2026-04-05T15:15:00Z 04-06T01:45:00',
    ]);
  });
});

describe('45-minute offsets, midnight transitions, a 2-hour shift', () => {
  it('Pacific/Chatham spring 2025-09-28 02:45→03:45: 03:00 fires at 04:00 +13:45', () => {
    expect(runs('0 3 * * *', 'Pacific/Chatham', '2025-09-27T00:00:00Z', 2)).toEqual([
      '2025-09-27T14:15:00Z 09-28T04:00:00',
      '2025-09-28T13:15:00Z 09-29T03:00:00',
    ]);
  });

  it('America/Santiago: clocks change at 24:00', () => {
    // Spring 2025-09-07 00:00→01:00: midnight does not exist; the day still gets its run.
    expect(runs('0 0 * * *', 'America/Santiago', '2025-09-06T00:00:00Z', 2)).toEqual([
      '2025-09-06T04:00:00Z 09-06T00:00:00',
      '2025-09-07T04:00:00Z 09-07T01:00:00',
    ]);
    // Autumn 2025-04-06 00:00→23:00 (Saturday the 5th repeats 23:00-24:00).
    expect(runs('30 23 * * *', 'America/Santiago', '2025-04-05T12:00:00Z', 2)).toEqual([
      '2025-04-06T02:30:00Z 04-05T23:30:00',
      '2025-04-07T03:30:00Z 04-06T23:30:00',
    ]);
  });

  it('America/Havana spring 2025-03-09 00:00→01:00', () => {
    expect(runs('0 0 * * *', 'America/Havana', '2025-03-08T12:00:00Z', 1)).toEqual([
      '2025-03-09T05:00:00Z 03-09T01:00:00',
    ]);
  });

  it('America/Nuuk spring 2025-03-29 23:00→00:00: a gap time pushed past midnight', () => {
    // Saturday's 23:30 lands at 00:30 on Sunday; Sunday's own 23:30 still follows.
    expect(runs('30 23 * * *', 'America/Nuuk', '2025-03-29T12:00:00Z', 2)).toEqual([
      '2025-03-30T01:30:00Z 03-30T00:30:00',
      '2025-03-31T00:30:00Z 03-30T23:30:00',
    ]);
  });

  it('Antarctica/Troll spring 2025-03-30 01:00→03:00: two listed hours in a 2-hour gap stay distinct', () => {
    expect(runs('0 1,2 * * *', 'Antarctica/Troll', '2025-03-29T12:00:00Z', 3)).toEqual([
      '2025-03-30T01:00:00Z 03-30T03:00:00',
      '2025-03-30T02:00:00Z 03-30T04:00:00',
      '2025-03-30T23:00:00Z 03-31T01:00:00',
    ]);
  });
});

describe('no loop, no hang', () => {
  it('an elapsed schedule that only matches inside gaps waits for the first year that has the time', () => {
    // 02:xx on the second Sunday of March never exists in New York while US DST rules hold;
    // the bundled tz data carries those rules to 2499.
    expect(
      calculateNextRun('0 2 * 3 0#2', 'America/New_York', new Date('2025-01-01T00:00:00Z')).toISOString(),
    ).toBe(
      '2025-03-09T07:00:00.000Z', // fixed-time: 02:00 → 03:00 EDT
    );
    expect(
      calculateNextRun('*/30 2 * 3 0#2', 'America/New_York', new Date('2025-01-01T00:00:00Z')).toISOString(),
    ).toBe('2500-03-14T07:00:00.000Z');
  });

  it('a time that resolves past the end of the supported range is reported, not looped on', () => {
    expect(() => calculateNextRun('0 0 29 2 *', 'UTC', new Date('9999-03-01T00:00:00Z'))).toThrow(
      'after: the schedule has no run between this instant and the end of the supported range (9999-12-31)',
    );
    expect(
      previewRuns('0 0 1 1 *', 'UTC', new Date('9998-06-01T00:00:00Z'), 5).map((d) => d.toISOString()),
    ).toEqual(['9999-01-01T00:00:00.000Z']);
  });
});
