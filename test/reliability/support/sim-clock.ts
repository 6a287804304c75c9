/*
 * Simulated time shared by every worker process of a harness:
 *
 *     now = startMs + (Date.now() - wallStartMs) * speed
 *
 * Every worker gets the same (startMs, wallStartMs, speed) and reads the same machine clock,
 * so their `now`s agree up to the few milliseconds between reading the clock and using it,
 * scaled by `speed`. That is all tickwork needs: it takes every instant from the `now` passed
 * to `tick` — due times, retry times and leases alike are stamped and compared in SQL against
 * `now`, never against the database clock or a hidden Date.now(). A lease claimed at simulated
 * `t` protects its rows until simulated `t + leaseMs`, which every other worker reaches at the
 * same wall moment.
 *
 * One thing does run on real time: the send timeout (`sendTimeoutMs` is a real timer bounding
 * I/O). A lease lasts `leaseMs / speed` ms of wall time, so it must outlast a whole tick in
 * wall time — the send timeout plus the claim and the recording — or a healthy but slow
 * worker's rows could be claimed again while it is still sending them. `checkLeaseFits`
 * enforces a wide margin, and the workers keep each tick short (a bounded number of waves),
 * because a tick stamps every lease it takes from its one `now` (see known-bugs.test.ts).
 */

export interface SimClockSpec {
  /** The simulated instant at wall time `wallStartMs` (epoch ms). */
  startMs: number;
  /** Wall-clock epoch ms at which simulated time starts running. */
  wallStartMs: number;
  /** Simulated ms per wall ms. */
  speed: number;
}

export function simNow(spec: SimClockSpec, wallMs = Date.now()): Date {
  return new Date(spec.startMs + Math.round((wallMs - spec.wallStartMs) * spec.speed));
}

/** Wall-clock ms until simulated instant `simMs` is reached. */
export function wallMsUntil(spec: SimClockSpec, simMs: number): number {
  return spec.wallStartMs + (simMs - spec.startMs) / spec.speed - Date.now();
}

/**
 * Throws unless a lease, seen in wall time, outlasts the longest a healthy tick can hold its
 * rows: `waves` waves each bounded by the real send timeout, plus `overheadMs` for claiming and
 * recording under load.
 */
export function checkLeaseFits(params: {
  leaseMs: number;
  sendTimeoutMs: number;
  speed: number;
  wavesPerTick: number;
  overheadMs: number;
}): void {
  const leaseWallMs = params.leaseMs / params.speed;
  const tickWallMs = params.wavesPerTick * params.sendTimeoutMs + params.overheadMs;
  if (leaseWallMs <= tickWallMs) {
    throw new Error(
      `lease of ${params.leaseMs} simulated ms at speed ${params.speed} lasts ${leaseWallMs} wall ms, ` +
        `not more than a tick can take (${tickWallMs} ms): healthy workers could claim each other's rows`,
    );
  }
}

/**
 * Engine options for workers on a clock running at `speed`. A simulated clock squeezes hours
 * into seconds, but a tick still takes wall time, so the engines' own windows are stretched the
 * same way the delivery lease is: a run being resolved or a batch being enqueued is held for
 * `leaseWallMs` of wall time before another process may take it over, an occurrence counts as
 * missed only when picked up that late, and a catch-up may run many occurrences at once.
 */
export function scaledEngineOptions(speed: number, leaseWallMs: number) {
  const leaseMs = Math.round(leaseWallMs * speed);
  return {
    recurring: { leaseMs, missedAfterMs: leaseMs, catchUpLimit: 100 },
    batches: { leaseMs },
  };
}
