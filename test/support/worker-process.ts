/*
 * What every test worker process does first: open its own store on the database the parent
 * names, and wait at the parent's start barrier so that all workers begin together.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { postgresStore } from '../../src/postgres/index.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import type { TickworkStore } from '../../src/store/store.js';

export type WorkerLocation =
  { kind: 'sqlite'; path: string } | { kind: 'postgres'; connectionString: string; schema: string };

/** A store of the worker's own on the parent's database (a small pool: many workers share the server). */
export function openWorkerStore(location: WorkerLocation): TickworkStore {
  return location.kind === 'sqlite'
    ? sqliteStore(location.path)
    : postgresStore(location.connectionString, { schema: location.schema, maxConnections: 2 });
}

/** Start barrier: writes `<barrier>.<pid>.ready`, then waits until `<barrier>` exists. */
export async function waitAtBarrier(barrier: string | undefined): Promise<void> {
  if (!barrier) return;
  writeFileSync(`${barrier}.${process.pid}.ready`, '');
  while (!existsSync(barrier)) await new Promise((resolve) => setTimeout(resolve, 2));
}
