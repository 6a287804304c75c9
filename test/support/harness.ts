import { afterEach } from 'vitest';
import {
  createScheduler,
  type RecipientSources,
  type Scheduler,
  type SchedulerOptions,
} from '../../src/index.js';
import { CapturingTransport, FakeClock } from '../../src/testing/index.js';
import type { Backend, TestDatabase } from './backends.js';

export interface Harness {
  database: TestDatabase;
  scheduler: Scheduler;
  transport: CapturingTransport;
  clock: FakeClock;
  /** Another scheduler on the same database, as a second process would have. */
  another(options?: SchedulerOptions): Promise<{ scheduler: Scheduler; transport: CapturingTransport }>;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

export const START = '2026-03-02T08:00:00.000Z';

/** A migrated scheduler on a fresh database of `backend`, with a capturing transport and a fake clock. */
export interface SetupConfig {
  recipientSources?: RecipientSources;
}

export async function setup(
  backend: Backend,
  options: SchedulerOptions = {},
  config: SetupConfig = {},
): Promise<Harness> {
  const database = await backend.create();
  cleanups.push(() => database.destroy());
  const clock = new FakeClock(START);
  const build = async (opts: SchedulerOptions) => {
    const transport = new CapturingTransport();
    const scheduler = createScheduler({
      store: database.openStore(),
      transport,
      recipientSources: config.recipientSources,
      options: { clock: clock.now, random: () => 0.5, ...opts },
    });
    cleanups.push(() => scheduler.close());
    await scheduler.migrate();
    return { scheduler, transport };
  };
  const { scheduler, transport } = await build(options);
  return { database, scheduler, transport, clock, another: (opts) => build({ ...options, ...opts }) };
}
