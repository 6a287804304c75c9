/*
 * A ticking worker process for the reliability harnesses. It opens its own store on the
 * database the parent names, waits at a start barrier for the shared simulated clock, then
 * ticks with `now` = simulated time until the parent writes the stop file. Every transport
 * call is logged by the recording transport (support/recording-transport.ts) to this
 * process's own file; every tick error to its own errors file. It never migrates: the parent
 * has done that.
 *
 * Files in `dir`: `ready.<pid>` (written once booted), `go.json` (the clock; written by the
 * parent), `stop` (written by the parent), `calls.<slot>.<pid>.log`, `errors.<pid>.log`.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createScheduler,
  type BatchEngineOptions,
  type DeliveryOptions,
  type RecurringEngineOptions,
  type RetryOptions,
  type SequenceEngineOptions,
} from '../../src/index.js';
import { openWorkerStore, type WorkerLocation } from '../support/worker-process.js';
import { mulberry32 } from './support/prng.js';
import { recordingTransport, type DelayPlan, type FaultPlan } from './support/recording-transport.js';
import { simNow, type SimClockSpec } from './support/sim-clock.js';

export interface WorkerConfig {
  location: WorkerLocation;
  dir: string;
  slot: number;
  delivery: DeliveryOptions;
  retry?: RetryOptions;
  /** Engine options; the harnesses scale their leases and windows to the simulated clock. */
  recurring?: RecurringEngineOptions;
  sequences?: SequenceEngineOptions;
  batches?: BatchEngineOptions;
  faults?: FaultPlan;
  delay?: DelayPlan;
  /** Wall ms to wait after a tick that left nothing due. */
  idleMs: number;
  seed: number;
}

const config = JSON.parse(process.argv[2]!) as WorkerConfig;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const store = openWorkerStore(config.location);

let tickNow = new Date(0);
const scheduler = createScheduler({
  store,
  transport: recordingTransport({
    logPath: join(config.dir, `calls.${config.slot}.${process.pid}.log`),
    tickNow: () => tickNow,
    faults: config.faults,
    delay: config.delay,
  }),
  options: {
    delivery: config.delivery,
    retry: config.retry,
    recurring: config.recurring,
    sequences: config.sequences,
    batches: config.batches,
    random: mulberry32(config.seed ^ process.pid),
  },
});

const startedBy = process.ppid;
writeFileSync(join(config.dir, `ready.${process.pid}`), '');
const goPath = join(config.dir, 'go.json');
while (!existsSync(goPath)) {
  if (process.ppid !== startedBy) process.exit(1);
  await sleep(5);
}
const clock = JSON.parse(readFileSync(goPath, 'utf8')) as SimClockSpec;
const stopPath = join(config.dir, 'stop');
const errorsPath = join(config.dir, `errors.${process.pid}.log`);

// Never outlive the harness: stop if the parent process is gone (re-parented) or after 10 minutes.
const deadline = Date.now() + 10 * 60_000;
while (!existsSync(stopPath) && process.ppid === startedBy && Date.now() < deadline) {
  tickNow = simNow(clock);
  try {
    const summary = await scheduler.tick(tickNow);
    if (!summary.moreDue) await sleep(config.idleMs);
  } catch (error) {
    appendFileSync(
      errorsPath,
      `${JSON.stringify({ pid: process.pid, message: String((error as Error)?.message ?? error) })}\n`,
    );
    await sleep(config.idleMs);
  }
}
await scheduler.close();
