import type { Migration, MigrationProvider } from 'kysely/migration';
import type { StoreAdapter } from '../adapter.js';
import { batchesMigration } from '../../engines/batches/migration.js';
import { recurringMigration } from '../../engines/recurring/migration.js';
import { sequencesMigration } from '../../engines/sequences/migration.js';
import { initialMigration } from './0001-initial.js';

/**
 * Migrations ship inside the build (no files read at run time). Names sort in the order
 * they apply; a released migration is never edited, only followed by a new one.
 */
export function tickworkMigrations(adapter: StoreAdapter): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001-initial': initialMigration(adapter),
    '0002-recurring': recurringMigration(adapter),
    '0003-sequences': sequencesMigration(adapter),
    '0004-batches': batchesMigration(adapter),
  };
  return { getMigrations: async () => migrations };
}
