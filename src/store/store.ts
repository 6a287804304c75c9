import type { Kysely } from 'kysely';
import type { StoreAdapter } from './adapter.js';
import type { TickworkDatabase } from './schema.js';

/**
 * What `sqliteStore()` and `postgresStore()` return and `createScheduler({ store })` takes:
 * a Kysely instance scoped to tickwork's tables plus the dialect's adapter.
 */
export interface TickworkStore {
  readonly db: Kysely<TickworkDatabase>;
  readonly adapter: StoreAdapter;
  /** Where Kysely's migration history for tickwork lives (never the host's own table). */
  readonly migrationTables: {
    readonly schema?: string;
    readonly table: string;
    readonly lockTable: string;
  };
  /** Finishes any asynchronous setup (connection pragmas); idempotent. Called before the first query. */
  ready(): Promise<void>;
  /** Closes connections the store opened itself; a handle or pool passed in by the host is left open. */
  close(): Promise<void>;
}

export const MIGRATION_TABLE = 'tickwork_migration';
export const MIGRATION_LOCK_TABLE = 'tickwork_migration_lock';
