/*
 * Stores the harness's own process opens on a test database: the parent's store (seeding
 * and inspection) gets a larger pool and asynchronous commits on Postgres and NORMAL sync on SQLite (still safe
 * against a process crash in WAL mode), so seeding 20,000 rows one enqueue at a time is quick.
 */
import pg from 'pg';
import { postgresStore } from '../../../src/postgres/index.js';
import { sqliteStore } from '../../../src/sqlite/index.js';
import { createScheduler, type Scheduler, type TickworkStore } from '../../../src/index.js';
import type { TestDatabase } from '../../support/backends.js';
import type { WorkerLocation } from '../../support/worker-process.js';

export type SharedLocation = WorkerLocation;

export function sharedLocation(database: TestDatabase): SharedLocation {
  if (database.location.kind === 'pglite') throw new Error('PGlite cannot be shared by processes');
  return database.location;
}

/** A store for the harness process itself; `close()` also ends the pool it opened. */
export function openParentStore(database: TestDatabase): TickworkStore {
  const location = sharedLocation(database);
  if (location.kind === 'sqlite') return sqliteStore(location.path, { synchronous: 'NORMAL' });
  // Commits of the seeding session need not wait for the disk: the test never crashes the server.
  const pool = new pg.Pool({
    connectionString: location.connectionString,
    max: 12,
    options: '-c synchronous_commit=off',
  });
  pool.on('error', () => undefined); // an idle connection dropped by the server: the pool replaces it
  const store = postgresStore(pool, { schema: location.schema });
  return {
    ...store,
    async close() {
      await store.close();
      await pool.end();
    },
  };
}

/**
 * The harness process's scheduler on the shared database: it migrates, seeds and inspects;
 * only the worker processes tick. Calls outside a tick see the simulated start instant.
 */
export function createParent(database: TestDatabase, start: number): Scheduler {
  return createScheduler({
    store: openParentStore(database),
    transport: {
      send() {
        throw new Error('the parent process never ticks');
      },
    },
    options: { clock: () => new Date(start) },
  });
}
