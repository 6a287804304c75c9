import type { Kysely } from 'kysely';
import type { StoreAdapter } from '../../store/adapter.js';

/** The sequences engine's own columns, tables and indexes, on top of 0001-initial. */
export function sequencesMigration(_adapter: StoreAdapter) {
  return {
    async up(_db: Kysely<unknown>): Promise<void> {},
  };
}
