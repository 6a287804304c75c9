import { sql, type CreateTableBuilder, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { StoreAdapter } from '../store/adapter.js';
import type { TickworkDatabase } from '../store/schema.js';

/** SQLite: one writer at a time, so claims serialise on the write lock instead of row locks. */
export const sqliteAdapter: StoreAdapter = {
  dialect: 'sqlite',
  types: { timestamp: 'text', json: 'text', boolean: 'integer' },
  trueDefault: sql`1`,

  addIdColumn(table) {
    return (table as CreateTableBuilder<string, string>).addColumn('id', 'integer', (c) =>
      c.primaryKey().autoIncrement(),
    ) as never;
  },

  lockForClaim<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>) {
    return query;
  },

  async writeTransaction<T>(
    db: Kysely<TickworkDatabase>,
    fn: (trx: Kysely<TickworkDatabase>) => Promise<T>,
  ): Promise<T> {
    // Kysely's SQLite transactions are deferred; an immediate one takes the write lock
    // before reading, so the busy timeout queues concurrent writers instead of failing them.
    return db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const result = await fn(conn);
        await sql`commit`.execute(conn);
        return result;
      } catch (error) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw error;
      }
    });
  },

  serializeMigrations(db, migrate) {
    // Kysely's migrator reads its history before it writes; with a deferred transaction a
    // second process can read a stale history and apply a migration twice.
    return this.writeTransaction(db, (conn) => migrate(conn, false));
  },

  isUniqueViolation(error) {
    const code = (error as { code?: unknown } | null)?.code;
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  },

  isTransientContention(error) {
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
  },
};
