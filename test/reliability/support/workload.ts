/*
 * What the harnesses feed the workers. A workload seeds the database through the public API
 * before the workers start and says what must come out of the transport. Only direct outbox
 * messages exist so far; the engines' workloads (recurring runs, sequence steps, timezone
 * batches) plug in as further `Workload`s without touching the harnesses:
 *
 *   const recurringWorkload = (n: number): Workload => ({
 *     name: 'recurring',
 *     async seed(scheduler, clock) {
 *       // create campaigns with static recipient lists whose occurrences fall inside
 *       // [clock.start, clock.start + clock.spanMs], then say how many sends that makes:
 *       return { workload: 'recurring', sourceType: 'recurring', count: campaigns * occurrences * recipients };
 *     },
 *   });
 *
 * The workers' ticks run every engine phase, so whatever rows the engines put in the outbox
 * are sent, logged and reconciled per `sourceType` like the direct ones. Keys the engines make
 * up (`sequence:<enrollment>:step:<step>`...) need not be listed: `count` is checked against
 * the outbox rows of that source type and against the distinct keys the transport saw.
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
