const MINUTE = 60_000;

/**
 * A clock the test moves by hand. Pass `clock.now` as the scheduler's `clock` option and
 * `clock.date()` to `tick`, so nothing reads the wall clock.
 */
export class FakeClock {
  private current: number;

  constructor(start: Date | string | number) {
    this.current = new Date(start).getTime();
    if (Number.isNaN(this.current)) throw new TypeError('FakeClock: start is not a valid date');
  }

  /** The current instant; bound, so it can be passed as `options.clock`. */
  readonly now = (): Date => new Date(this.current);

  date(): Date {
    return new Date(this.current);
  }

  set(to: Date | string | number): Date {
    const next = new Date(to).getTime();
    if (Number.isNaN(next)) throw new TypeError('FakeClock.set: not a valid date');
    this.current = next;
    return this.now();
  }

  advance(ms: number): Date {
    this.current += ms;
    return this.now();
  }

  advanceMinutes(minutes: number): Date {
    return this.advance(minutes * MINUTE);
  }

  advanceHours(hours: number): Date {
    return this.advance(hours * 60 * MINUTE);
  }

  advanceDays(days: number): Date {
    return this.advance(days * 24 * 60 * MINUTE);
  }
}

/**
 * Ticks `scheduler` at every step from the clock's time until `until`, advancing by
 * `stepMs`, ticking again at once while a tick reports more due work. Returns how many
 * ticks ran.
 */
export async function runUntil(
  scheduler: { tick(now: Date): Promise<{ moreDue: boolean }> },
  clock: FakeClock,
  until: Date,
  stepMs: number = MINUTE,
): Promise<number> {
  if (!(stepMs > 0)) throw new TypeError('runUntil: stepMs must be positive');
  let ticks = 0;
  while (clock.date().getTime() <= until.getTime()) {
    let summary;
    do {
      summary = await scheduler.tick(clock.date());
      ticks += 1;
    } while (summary.moreDue);
    clock.advance(stepMs);
  }
  return ticks;
}
