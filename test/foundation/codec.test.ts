/*
 * The codec reads what the databases hand back. The mailer's own tables default their
 * timestamps to SQLite's CURRENT_TIMESTAMP ('2026-03-02 09:00:00', UTC without a zone), which
 * JavaScript's Date parses as the host's local time; the codec must read it as UTC whatever
 * the host's zone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readDate } from '../../src/store/codec.js';

const originalTz = process.env.TZ;
afterEach(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

describe('readDate', () => {
  it.each(['America/New_York', 'Asia/Kathmandu', 'UTC'])(
    "reads SQLite's CURRENT_TIMESTAMP text as UTC on a host in %s",
    (zone) => {
      process.env.TZ = zone;
      expect(readDate('2026-03-02 09:00:00').toISOString()).toBe('2026-03-02T09:00:00.000Z');
      expect(readDate('2026-07-01 23:59:59.250').toISOString()).toBe('2026-07-01T23:59:59.250Z');
    },
  );

  it('reads ISO strings with an offset and Dates as they are, and null as null', () => {
    process.env.TZ = 'America/New_York';
    expect(readDate('2026-03-02T09:00:00.000Z').toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(readDate('2026-03-02T10:00:00+01:00').toISOString()).toBe('2026-03-02T09:00:00.000Z');
    const date = new Date(Date.UTC(2026, 2, 2, 9));
    expect(readDate(date)).toBe(date);
    expect(readDate(null)).toBeNull();
  });
});
