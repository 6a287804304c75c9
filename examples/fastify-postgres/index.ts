/**
 * The mailer on Fastify and Postgres, scaled out: one web process serving the API and two
 * worker processes ticking the same database.
 *
 *   node --import tsx examples/fastify-postgres/index.ts
 *
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), MAILER_SCHEMA (default
 * mailer_example), PORT (default 3000), MAILER_TOKEN (default dev-token), TICK_EVERY_MS
 * (default 60000). In production the web process and the workers are separate deployments
 * (`api.ts` behind your process manager, `worker.ts` on N machines); this file starts all
 * three on one machine for the example.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startApi } from './api.js';
import { DEFAULT_DATABASE_URL, DEFAULT_SCHEMA } from './mailer.js';

const connectionString = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
const schema = process.env.MAILER_SCHEMA ?? DEFAULT_SCHEMA;
const token = process.env.MAILER_TOKEN ?? 'dev-token';

// The API first: it creates the mailer's tables and runs tickwork's migrations.
const api = await startApi({ port: Number(process.env.PORT ?? 3000), connectionString, schema, token });
console.log(`API on ${api.url} (Postgres schema '${schema}')`);
console.log(`try:  curl -H 'authorization: Bearer ${token}' ${api.url}/recurring`);

const workerFile = fileURLToPath(new URL('./worker.ts', import.meta.url));
const workers: ChildProcess[] = ['worker-1', 'worker-2'].map((id) =>
  fork(workerFile, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DATABASE_URL: connectionString, MAILER_SCHEMA: schema, WORKER_ID: id },
  }),
);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('stopping…');
  for (const child of workers) child.kill('SIGTERM');
  await Promise.all(
    workers.map((child) =>
      child.exitCode !== null || child.signalCode !== null
        ? undefined
        : new Promise((resolve) => child.once('exit', resolve)),
    ),
  );
  await api.close();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
