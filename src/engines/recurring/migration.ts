import { sql, type Kysely } from 'kysely';
import type { StoreAdapter } from '../../store/adapter.js';

/** The recurring engine's own columns, tables and indexes, on top of 0001-initial. */
export function recurringMigration(adapter: StoreAdapter) {
  const { timestamp, json } = adapter.types;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      const campaigns = () => db.schema.alterTable('recurring_campaigns');
      await campaigns().addColumn('updated_at', timestamp).execute();
      await campaigns().addColumn('start_at', timestamp).execute();
      await campaigns().addColumn('end_at', timestamp).execute();
      await campaigns().addColumn('max_runs', 'integer').execute();
      await campaigns()
        .addColumn('run_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await campaigns().addColumn('missed_run_policy', 'text').execute();
      // Milliseconds overflow a 32-bit integer after 24.8 days.
      await campaigns().addColumn('max_lateness_ms', 'bigint').execute();
      await campaigns().addColumn('disabled_reason', 'text').execute();

      await adapter
        .addIdColumn(db.schema.createTable('tickwork_recurring_runs').ifNotExists())
        .addColumn('campaign_id', 'integer', (c) =>
          c.notNull().references('recurring_campaigns.id').onDelete('cascade'),
        )
        .addColumn('occurrence_key', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('scheduled_at', timestamp, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', timestamp)
        .addColumn('lease_token', 'text')
        .addColumn('error', 'text')
        .addColumn('recipient_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('invalid_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('duplicate_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('invalid_samples', json)
        .addColumn('started_at', timestamp)
        .addColumn('finished_at', timestamp)
        .addColumn('created_at', timestamp, (c) => c.notNull())
        .addUniqueConstraint('tickwork_recurring_runs_occurrence_unique', ['campaign_id', 'occurrence_key'])
        .execute();
      // The claim query's index: only runs still to do, in the order they are claimed, so a
      // tick with nothing due costs the same however long the run history grows.
      await db.schema
        .createIndex('idx_tickwork_recurring_runs_claim')
        .ifNotExists()
        .on('tickwork_recurring_runs')
        .column('next_attempt_at')
        .where(sql.ref('status'), 'in', ['pending', 'retrying', 'resolving'])
        .execute();
      await db.schema
        .createIndex('idx_tickwork_recurring_runs_campaign')
        .ifNotExists()
        .on('tickwork_recurring_runs')
        .columns(['campaign_id', 'id'])
        .execute();
    },
  };
}
