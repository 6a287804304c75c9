import { Migrator } from 'kysely/migration';
import { MigrationError } from '../errors.js';
import { tickworkMigrations } from './migrations/index.js';
import type { TickworkStore } from './store.js';

const MAX_CONTENTION_RETRIES = 20;
/** invalid_schema_name, undefined_column, undefined_table. */
const INTROSPECTION_RACE = new Set(['3F000', '42703', '42P01']);

/**
 * Applies tickwork's migrations with Kysely's Migrator and tickwork's own history table.
 * Safe to run twice or from several processes at once: Postgres serialises on Kysely's
 * advisory lock; on SQLite the whole run holds the write lock (BEGIN IMMEDIATE), and a
 * process that could not get it within the busy timeout retries and finds the work done.
 */
export async function migrateStore(store: TickworkStore): Promise<string[]> {
  await store.ready();
  const provider = tickworkMigrations(store.adapter);
  const migrateOnce = () =>
    store.adapter.serializeMigrations(store.db, (db, useTransactions) =>
      new Migrator({
        db,
        provider,
        disableTransactions: !useTransactions,
        migrationTableName: store.migrationTables.table,
        migrationLockTableName: store.migrationTables.lockTable,
        ...(store.migrationTables.schema ? { migrationTableSchema: store.migrationTables.schema } : {}),
      }).migrateToLatest(),
    );
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrateOnce().catch((thrown: unknown) => ({
      error: thrown,
      results: undefined,
    }));
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    // Losing the race shows up as contention, or (SQLite's deferred transactions) as a
    // duplicate history row; either way the whole attempt rolled back and a retry finds
    // the winner's work done.
    // Kysely's migrator introspects every schema on a Postgres server; a schema, table or
    // column dropped by someone else mid-introspection is harmless on a retry.
    const vanishedSchema =
      store.adapter.dialect === 'postgres' &&
      INTROSPECTION_RACE.has(String((error as { code?: unknown } | null)?.code));
    const lostRace =
      store.adapter.isTransientContention(error) || store.adapter.isUniqueViolation(error) || vanishedSchema;
    if (lostRace && attempt < MAX_CONTENTION_RETRIES) {
      await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
      continue;
    }
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(
      failed ? `migration ${failed} failed: ${reason}` : `migrations failed: ${reason}`,
      { cause: error },
    );
  }
}
