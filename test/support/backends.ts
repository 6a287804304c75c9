import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, sql } from 'kysely';
import pg from 'pg';
import { postgresStore } from '../../src/postgres/index.js';
import { sqliteAdapter, sqliteStore } from '../../src/sqlite/index.js';
import { tickworkMigrations } from '../../src/store/migrations/index.js';
import type { TickworkStore } from '../../src/store/store.js';

/**
 * The backends every storage suite runs on. A test gets a fresh database: a new SQLite
 * file, or a new schema on the Postgres server or on the in-process PGlite.
 */
export interface TestDatabase {
  readonly backend: BackendName;
  /** A store on this database; on SQLite each call opens another connection, as another process would. */
  openStore(): TickworkStore;
  /** For worker processes: how to reach the same database from outside this process. */
  readonly location:
    | { kind: 'sqlite'; path: string }
    | { kind: 'postgres'; connectionString: string; schema: string }
    | { kind: 'pglite' };
  /** Runs raw SQL against the database (for assertions the public API does not expose). */
  raw<T = Record<string, unknown>>(query: string): Promise<T[]>;
  destroy(): Promise<void>;
}

export type BackendName = 'sqlite' | 'postgres' | 'pglite';

export interface Backend {
  readonly name: BackendName;
  create(): Promise<TestDatabase>;
}

/**
 * The Postgres server every run uses: TICKWORK_TEST_PG, else the local server. It is never
 * optional: an unreachable server fails the Postgres tests instead of skipping them.
 */
export const PG_URL = process.env.TICKWORK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

const sqliteBackend: Backend = {
  name: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'tickwork-test-'));
    const path = join(dir, 'test.db');
    const stores: TickworkStore[] = [];
    return {
      backend: 'sqlite',
      location: { kind: 'sqlite', path },
      openStore() {
        const store = sqliteStore(path);
        stores.push(store);
        return store;
      },
      async raw<T>(query: string) {
        const store = sqliteStore(path);
        try {
          const result = await sql.raw(query).execute(store.db);
          return result.rows as T[];
        } finally {
          await store.close();
        }
      },
      async destroy() {
        for (const store of stores) await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresBackend: Backend = {
  name: 'postgres',
  async create() {
    const connectionString = PG_URL;
    const schema = uniqueName(`tw_${process.env.TICKWORK_TEST_RUN ?? 'local'}`);
    const admin = new pg.Pool({ connectionString, max: 1 });
    const pools: pg.Pool[] = [];
    return {
      backend: 'postgres',
      location: { kind: 'postgres', connectionString, schema },
      openStore() {
        const pool = new pg.Pool({ connectionString, max: 5 });
        pools.push(pool);
        return postgresStore(pool, { schema });
      },
      async raw<T>(query: string) {
        const client = await admin.connect();
        try {
          await client.query(`set search_path to ${schema}`);
          return (await client.query(query)).rows as T[];
        } finally {
          await client.query('reset search_path');
          client.release();
        }
      },
      async destroy() {
        // The schema itself is dropped by the global teardown, when no test is migrating.
        for (const pool of pools) await pool.end();
        await admin.end();
      },
    };
  },
};

let sharedPglite: PGlite | undefined;

const pgliteBackend: Backend = {
  name: 'pglite',
  async create() {
    sharedPglite ??= new PGlite();
    const pglite = sharedPglite;
    const schema = uniqueName('tw_test');
    // Kysely's PGlite driver closes the instance on destroy; the suite's instance outlives each test.
    const db = new Kysely<unknown>({ dialect: new PGliteDialect({ pglite }) });
    return {
      backend: 'pglite',
      location: { kind: 'pglite' },
      openStore() {
        return postgresStore(db, { schema });
      },
      async raw<T>(query: string) {
        await pglite.query(`set search_path to ${schema}`);
        try {
          return (await pglite.query<T>(query)).rows;
        } finally {
          await pglite.query('reset search_path');
        }
      },
      async destroy() {
        await pglite.query(`drop schema if exists ${schema} cascade`);
      },
    };
  },
};

/** A SQLite file, the in-process PGlite and the Postgres server: every storage suite runs on all three. */
export const backends: Backend[] = [sqliteBackend, pgliteBackend, postgresBackend];

/** Every migration tickwork ships, in order. */
export async function migrationNames(): Promise<string[]> {
  return Object.keys(await tickworkMigrations(sqliteAdapter).getMigrations()).sort();
}
