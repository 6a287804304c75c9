/*
 * What the harnesses feed the workers. A workload seeds the database through the public API
 * before the workers start and says what must come out of the transport: direct outbox
 * messages (below) and the engines' work (engine-workloads.ts: recurring runs, sequence steps,
 * timezone batches). The workers' ticks run every engine phase, so whatever rows the engines
 * put in the outbox are sent, logged and reconciled per `sourceType` like the direct ones.
 *
 * A workload's expected deliveries are computed from its own input (occurrences counted by an
 * independent oracle, enrollments times steps, recipients per zone), never read back from the
 * outbox. When it knows the keys up front (the engines' key formats are documented), it lists
 * them and reconciliation checks each one; otherwise `count` is checked against the outbox rows
 * of that source type and against the distinct keys the transport saw. After the outbox has
 * settled, `verify` may check the engine's own records (runs completed, enrollments completed,
 * batches done).
 */
import type { Scheduler } from '../../../src/index.js';
import { mulberry32 } from './prng.js';

export interface WorkloadClock {
  /** The simulated instant the workers start at. */
  start: Date;
  /** A workload's due instants should fall within [start, start + spanMs]. */
  spanMs: number;
}

export interface ExpectedDeliveries {
  workload: string;
  /** The outbox `source_type` (and `origin.type`) of the workload's rows. */
  sourceType: string;
  /** Distinct idempotency keys the transport must see, each ending sent or dead. */
  count: number;
  /** The keys themselves, when the workload knows them up front. */
  keys?: ReadonlySet<string>;
}

export interface Workload {
  readonly name: string;
  seed(scheduler: Scheduler, clock: WorkloadClock): Promise<ExpectedDeliveries>;
  /** After the outbox settled: every way the engine's own records disagree with the input (empty if none). */
  verify?(scheduler: Scheduler): Promise<string[]>;
}

/**
 * `count` direct messages through `scheduler.deliveries.enqueue`, due at seeded random
 * instants spread over the clock's span, enqueued `parallel` at a time.
 */
export function directWorkload(options: {
  count: number;
  seed: number;
  prefix?: string;
  parallel?: number;
}): Workload {
  const prefix = options.prefix ?? 'direct';
  return {
    name: `direct(${options.count})`,
    async seed(scheduler, clock) {
      const random = mulberry32(options.seed);
      const keys = new Set<string>();
      const entries = Array.from({ length: options.count }, (_, i) => {
        const key = `${prefix}:${i}`;
        keys.add(key);
        return {
          idempotencyKey: key,
          to: `r${i}@reliability.test`,
          subject: `message ${i}`,
          recipient: { name: `R${i}`, index: i },
          dueAt: new Date(clock.start.getTime() + Math.floor(random() * clock.spanMs)),
        };
      });
      let next = 0;
      const parallel = options.parallel ?? 8;
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          while (next < entries.length) {
            const entry = entries[next++]!;
            if (!(await scheduler.deliveries.enqueue(entry))) {
              throw new Error(`key ${entry.idempotencyKey} was already queued`);
            }
          }
        }),
      );
      return { workload: this.name, sourceType: 'direct', count: options.count, keys };
    },
  };
}

/** Seeds every workload in turn; reconciliation later groups them by source type. */
export async function seedAll(
  scheduler: Scheduler,
  clock: WorkloadClock,
  workloads: readonly Workload[],
): Promise<ExpectedDeliveries[]> {
  const expected: ExpectedDeliveries[] = [];
  for (const workload of workloads) expected.push(await workload.seed(scheduler, clock));
  return expected;
}

/** Runs every workload's `verify` (after the outbox settled); the problems of all of them. */
export async function verifyAll(scheduler: Scheduler, workloads: readonly Workload[]): Promise<string[]> {
  const problems: string[] = [];
  for (const workload of workloads) {
    if (workload.verify)
      problems.push(...(await workload.verify(scheduler)).map((p) => `${workload.name}: ${p}`));
  }
  return problems;
}
