import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import { ValidationError } from '../errors.js';
import type { TickworkDatabase } from '../store/schema.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, type TickworkStore } from '../store/store.js';
import { sqliteAdapter } from './adapter.js';

export { sqliteAdapter } from './adapter.js';

export interface SqliteStoreOptions {
  /** How long a writer waits for the lock held by another process, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * SQLite `synchronous` pragma. Default: left as the handle has it (FULL for a new
   * better-sqlite3 handle), so a committed "sent" survives power loss; NORMAL is faster
   * and still safe against a process crash in WAL mode.
   */
  synchronous?: (typeof SYNCHRONOUS_MODES)[number];
}

const SYNCHRONOUS_MODES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

type BetterSqliteHandle = InstanceType<typeof Database>;

/**
 * A tickwork store on SQLite.
 *
 * `source` is a file path (opened and closed by the store), `':memory:'`, an open
 * better-sqlite3 handle (the host's own database; left open on `close()`), or the host's
 * own `Kysely` instance on SQLite. The store turns on WAL (files only), a busy timeout and
 * foreign keys, so several processes can share one file.
 */
export function sqliteStore(
  source: string | BetterSqliteHandle | Kysely<unknown>,
  options: SqliteStoreOptions = {},
): TickworkStore {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw ValidationError.field('busyTimeoutMs', 'must be a non-negative integer');
  }
  // The value goes into a PRAGMA, which takes no parameters: only the four names get that far.
  if (options.synchronous !== undefined && !SYNCHRONOUS_MODES.includes(options.synchronous)) {
    throw ValidationError.field('synchronous', `must be one of ${SYNCHRONOUS_MODES.join(', ')}`);
  }

  let db: Kysely<TickworkDatabase>;
  let owned: boolean;
  if (isKysely(source)) {
    db = source as unknown as Kysely<TickworkDatabase>;
    owned = false;
    // The handle is behind the host's dialect; pragmas go through SQL on its connection.
    const pragmas = [`busy_timeout = ${busyTimeoutMs}`, 'foreign_keys = ON', 'journal_mode = WAL'];
    if (options.synchronous) pragmas.push(`synchronous = ${options.synchronous}`);
    // Applied lazily (the scheduler awaits `ready` before its first query) so this stays synchronous.
    let configured: Promise<void> | undefined;
    const ready = () =>
      (configured ??= db.connection().execute(async (conn) => {
        for (const pragma of pragmas) await sql.raw(`pragma ${pragma}`).execute(conn);
      }));
    return makeStore(db, owned, ready);
  }

  let handle: BetterSqliteHandle;
  if (typeof source === 'string') {
    if (source.length === 0) throw ValidationError.field('source', 'must be a file path, not empty');
    handle = new Database(source);
    owned = true;
  } else {
    handle = source;
    owned = false;
  }
  configureHandle(handle, busyTimeoutMs, options.synchronous);
  db = new Kysely<TickworkDatabase>({ dialect: new SqliteDialect({ database: withStatementCache(handle) }) });
  return makeStore(db, owned, async () => undefined);
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew; on the claim and record path preparing costs more than
 * running the statement, so prepared statements are kept per SQL text (LRU). Safe because
 * Kysely runs one statement at a time on this connection and never leaves one iterating.
 */
function withStatementCache(handle: BetterSqliteHandle): SqliteDatabase {
  const cache = new Map<string, ReturnType<BetterSqliteHandle['prepare']>>();
  return {
    close: () => handle.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (statement) {
        cache.delete(text);
      } else {
        statement = handle.prepare(text);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

function configureHandle(handle: BetterSqliteHandle, busyTimeoutMs: number, synchronous?: string): void {
  handle.pragma(`busy_timeout = ${busyTimeoutMs}`);
  handle.pragma('foreign_keys = ON');
  if (!handle.memory) handle.pragma('journal_mode = WAL');
  if (synchronous) handle.pragma(`synchronous = ${synchronous}`);
}

function makeStore(db: Kysely<TickworkDatabase>, owned: boolean, ready: () => Promise<void>): TickworkStore {
  return {
    db,
    adapter: sqliteAdapter,
    migrationTables: { table: MIGRATION_TABLE, lockTable: MIGRATION_LOCK_TABLE },
    ready,
    async close() {
      if (owned) await db.destroy();
    },
  };
}

function isKysely(value: unknown): value is Kysely<unknown> {
  return (
    value instanceof Kysely ||
    (typeof value === 'object' && value !== null && 'selectFrom' in value && 'schema' in value)
  );
}
