import type {
  CreateTableBuilder,
  ColumnDataType,
  Kysely,
  RawBuilder,
  SelectQueryBuilder,
  Transaction,
} from 'kysely';
import type { TickworkDatabase } from './schema.js';

/**
 * Everything that differs between SQLite and Postgres, and nothing else. Engines and the
 * outbox are written once against Kysely and call into this where the dialects part
 * ways (the kysely dialect/adapter split, one level up).
 */
export interface StoreAdapter {
  readonly dialect: 'sqlite' | 'postgres';

  /** Column types for migrations. */
  readonly types: {
    readonly timestamp: ColumnDataType;
    readonly json: ColumnDataType;
    readonly boolean: ColumnDataType;
  };

  /** The dialect's literal for `true` in a column default (`1` or `true`). */
  readonly trueDefault: RawBuilder<unknown>;

  /** Adds an auto-generated integer primary key named `id`. */
  addIdColumn<T extends string, C extends string>(
    table: CreateTableBuilder<T, C>,
  ): CreateTableBuilder<T, C | 'id'>;

  /**
   * Makes a claim subquery safe under concurrent claimers. Postgres: `FOR UPDATE SKIP LOCKED`,
   * so concurrent tickers take disjoint rows without waiting. SQLite: unchanged, because the
   * enclosing write transaction already holds the database's single write lock.
   */
  lockForClaim<DB, TB extends keyof DB, O>(
    query: SelectQueryBuilder<DB, TB, O>,
  ): SelectQueryBuilder<DB, TB, O>;

  /**
   * Runs `fn` in a transaction that writes. SQLite: `BEGIN IMMEDIATE`, so the write lock is
   * taken up front and the busy timeout applies (a deferred transaction that upgrades
   * later fails at once with SQLITE_BUSY under contention). Postgres: READ COMMITTED.
   */
  writeTransaction<T>(
    db: Kysely<TickworkDatabase>,
    fn: (trx: Kysely<TickworkDatabase>) => Promise<T>,
  ): Promise<T>;

  /**
   * Runs `migrate` so that concurrent migrators serialise. SQLite: inside one BEGIN
   * IMMEDIATE on a single connection (`migrate` must then not open transactions itself);
   * Postgres: as is, under Kysely's advisory lock and its own transaction.
   */
  serializeMigrations<T>(
    db: Kysely<TickworkDatabase>,
    migrate: (db: Kysely<TickworkDatabase>, useTransactions: boolean) => Promise<T>,
  ): Promise<T>;

  /** True when `error` is a unique-constraint violation. */
  isUniqueViolation(error: unknown): boolean;

  /** True when `error` is transient contention worth retrying (SQLite busy/locked, Postgres serialization/deadlock). */
  isTransientContention(error: unknown): boolean;
}

export type TickworkTransaction = Transaction<TickworkDatabase> | Kysely<TickworkDatabase>;
