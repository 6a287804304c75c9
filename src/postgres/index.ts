import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import pg from 'pg';
import { ValidationError } from '../errors.js';
import type { TickworkDatabase } from '../store/schema.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, type TickworkStore } from '../store/store.js';
import { postgresAdapter } from './adapter.js';

export { postgresAdapter } from './adapter.js';

export interface PostgresStoreOptions {
  /**
   * A Postgres schema to keep tickwork's tables (and its migration history) in, created
   * by `migrate()` if missing. Default: the connection's search_path (usually `public`).
   */
  schema?: string;
  /** Pool size when the store opens its own pool from a connection string. Default 10. */
  maxConnections?: number;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * A tickwork store on Postgres.
 *
 * `source` is a connection string (the store opens and closes its own pool), a pg `Pool`
 * (the host's; left open on `close()`), or the host's own `Kysely` instance on a Postgres
 * dialect (including PGlite).
 */
export function postgresStore(
  source: string | pg.Pool | Kysely<unknown>,
  options: PostgresStoreOptions = {},
): TickworkStore {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw ValidationError.field('schema', `'${schema}' is not a plain Postgres identifier`);
  }

  let base: Kysely<TickworkDatabase>;
  let owned = false;
  if (typeof source === 'string') {
    if (source.length === 0) throw ValidationError.field('source', 'must be a connection string, not empty');
    const pool = new pg.Pool({ connectionString: source, max: options.maxConnections ?? 10 });
    // An idle connection that dies (server restart, network drop) is an 'error' event on the
    // pool; unheard, it would crash the host. pg-pool has already discarded the client.
    pool.on('error', () => undefined);
    base = new Kysely<TickworkDatabase>({ dialect: new PostgresDialect({ pool: guardClients(pool) }) });
    owned = true;
  } else if (isKysely(source)) {
    base = source as unknown as Kysely<TickworkDatabase>;
  } else {
    base = new Kysely<TickworkDatabase>({ dialect: new PostgresDialect({ pool: guardClients(source) }) });
  }

  const db = schema ? base.withSchema(schema) : base;
  return {
    db,
    adapter: postgresAdapter,
    migrationTables: { schema, table: MIGRATION_TABLE, lockTable: MIGRATION_LOCK_TABLE },
    ready: async () => undefined,
    async close() {
      // Kysely's destroy() ends the pool, so only a pool the store opened itself is destroyed.
      if (owned) await base.destroy();
    },
  };
}

/**
 * While a client is checked out, pg-pool stops listening for its 'error' events, so a
 * connection that dies mid-query would crash the host with an unhandled event. The failing
 * query still rejects (the tick reports it) and the pool discards the client on release;
 * the listener only keeps the process alive.
 */
function guardClients(pool: pg.Pool): PostgresPool {
  const guarded = new WeakSet<pg.PoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      if (!guarded.has(client)) {
        client.on('error', () => undefined);
        guarded.add(client);
      }
      return client;
    },
    end: () => pool.end(),
    get options() {
      return pool.options;
    },
    Client: (pool as unknown as { Client?: PostgresPool['Client'] }).Client,
  };
}

function isKysely(value: unknown): value is Kysely<unknown> {
  return (
    value instanceof Kysely ||
    (typeof value === 'object' && value !== null && 'selectFrom' in value && 'schema' in value)
  );
}
