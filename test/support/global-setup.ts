import pg from 'pg';
import { PG_URL } from './backends.js';

/*
 * Postgres test databases are schemas named after this run. They are dropped here, once
 * every file has finished, not by each test: Kysely's migrator introspects every schema,
 * and a schema dropped by one test while another test migrates makes that introspection
 * fail (`has_schema_privilege` on a vanished schema).
 */
export default function setup(): () => Promise<void> {
  return async () => {
    const run = process.env.TICKWORK_TEST_RUN;
    if (!run) return;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ nspname: string }>(
        `select nspname from pg_namespace where nspname like $1`,
        [`tw_${run}_%`],
      );
      for (const { nspname } of rows) await client.query(`drop schema if exists "${nspname}" cascade`);
    } finally {
      await client.end();
    }
  };
}
