/*
 * A host process for known-bugs.test.ts: it ticks a Postgres store while its connections are
 * terminated with pg_terminate_backend, and exits 0 only if it survived and every row ended
 * sent. Run in its own process because the bug it shows kills the process.
 *
 * argv: JSON { connectionString, schema, mode }
 *   mode 'idle':        the store opens its own pool from a connection string; the
 *                       connections are terminated while idle in that pool (during a send).
 *   mode 'checked-out': the host passes its own pool (with an 'error' listener, as pg asks of
 *                       hosts); the connection is terminated while tickwork has it checked out.
 */
import pg from 'pg';
import { createScheduler, TickError } from '../../src/index.js';
import { postgresStore } from '../../src/postgres/index.js';

const { connectionString, schema, mode } = JSON.parse(process.argv[2]!) as {
  connectionString: string;
  schema: string;
  mode: 'idle' | 'checked-out';
};
const applicationName = `tickwork_loss_${process.pid}`;
const admin = new pg.Client({ connectionString });
await admin.connect();
const terminate = () =>
  admin.query('select pg_terminate_backend(pid, 5000) from pg_stat_activity where application_name = $1', [
    applicationName,
  ]);

let armed = false;
let store;
if (mode === 'idle') {
  const url = new URL(connectionString);
  url.searchParams.set('application_name', applicationName);
  store = postgresStore(url.toString(), { schema, maxConnections: 2 });
} else {
  const pool = new pg.Pool({ connectionString, application_name: applicationName, max: 2 });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      if (
        armed &&
        typeof args[0] === 'string' &&
        /"tickwork_outbox" set "status" = \$1, "attempts"/.test(args[0])
      ) {
        armed = false;
        return terminate().then(() => query(...args));
      }
      return query(...args);
    };
  });
  store = postgresStore(pool, { schema });
}

const sent: string[] = [];
const scheduler = createScheduler({
  store,
  transport: {
    async send(_message, context) {
      if (mode === 'idle' && armed) {
        armed = false;
        await terminate();
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      sent.push(context.idempotencyKey);
    },
  },
  options: { delivery: { concurrency: 5 } },
});
await scheduler.migrate();
const now = new Date('2026-03-02T08:00:00.000Z');
for (let i = 0; i < 10; i++) {
  await scheduler.deliveries.enqueue({
    idempotencyKey: `loss:${i}`,
    to: `r${i}@x.org`,
    subject: 's',
    dueAt: now,
  });
}
armed = true;
let failures = 0;
for (let attempt = 0; attempt < 5; attempt++) {
  try {
    const summary = await scheduler.tick(now);
    if (!summary.moreDue) break;
  } catch (error) {
    if (!(error instanceof TickError)) throw error;
    failures += 1;
  }
}
const counts = await scheduler.deliveries.counts();
await scheduler.close();
await admin.end();
process.stdout.write(JSON.stringify({ sent: counts.sent, tickErrors: failures }));
