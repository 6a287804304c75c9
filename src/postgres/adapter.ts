import { sql, type CreateTableBuilder, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { StoreAdapter } from '../store/adapter.js';
import type { TickworkDatabase } from '../store/schema.js';

const UNIQUE_VIOLATION = '23505';
const SERIALIZATION_FAILURE = '40001';
const DEADLOCK_DETECTED = '40P01';

/** Postgres: row locks with SKIP LOCKED let any number of tickers claim disjoint rows at once. */
export const postgresAdapter: StoreAdapter = {
  dialect: 'postgres',
  types: { timestamp: 'timestamptz', json: 'jsonb', boolean: 'boolean' },
  trueDefault: sql`true`,

  addIdColumn(table) {
    return (table as CreateTableBuilder<string, string>).addColumn('id', 'integer', (c) =>
      c.primaryKey().generatedByDefaultAsIdentity(),
    ) as never;
  },

  lockForClaim<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>) {
    return query.forUpdate().skipLocked();
  },

  writeTransaction<T>(
    db: Kysely<TickworkDatabase>,
    fn: (trx: Kysely<TickworkDatabase>) => Promise<T>,
  ): Promise<T> {
    return db.transaction().execute(fn);
  },

  serializeMigrations(db, migrate) {
    return migrate(db, true);
  },

  isUniqueViolation(error) {
    return (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION;
  },

  isTransientContention(error) {
    const code = (error as { code?: unknown } | null)?.code;
    return code === SERIALIZATION_FAILURE || code === DEADLOCK_DETECTED;
  },
};
