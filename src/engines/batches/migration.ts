import { sql, type Kysely } from 'kysely';
import type { StoreAdapter } from '../../store/adapter.js';

/**
 * The batches engine's columns, tables and indexes on top of 0001-initial. Columns are added
 * one per statement (SQLite's ALTER TABLE takes one at a time); new NOT NULL columns carry a
 * default so rows written before this migration stay valid.
 */
export function batchesMigration(adapter: StoreAdapter) {
  const { timestamp, json } = adapter.types;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await adapter
        .addIdColumn(db.schema.createTable('tickwork_batch_requests').ifNotExists())
        .addColumn('campaign_id', 'integer', (c) => c.notNull())
        .addColumn('target_time', 'text', (c) => c.notNull())
        .addColumn('target_date', 'text')
        .addColumn('target_key', 'text')
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('past_target_policy', 'text', (c) => c.notNull())
        .addColumn('fallback_timezone', 'text', (c) => c.notNull())
        .addColumn('message', json, (c) => c.notNull())
        .addColumn('report', json, (c) => c.notNull())
        .addColumn('created_at', timestamp, (c) => c.notNull())
        .addColumn('released_at', timestamp)
        .addUniqueConstraint('tickwork_batch_requests_key_unique', ['campaign_id', 'target_key'])
        .execute();

      const table = () => db.schema.alterTable('scheduled_batches');
      await table().addColumn('request_id', 'integer').execute();
      await table().addColumn('target_time', 'text').execute();
      await table().addColumn('target_date', 'text').execute();
      await table().addColumn('timezones', json).execute();
      await table().addColumn('message', json).execute();
      await table()
        .addColumn('recipient_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await table()
        .addColumn('fallback_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await table()
        .addColumn('enqueued_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await table()
        .addColumn('cursor_position', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await table().addColumn('lease_token', 'text').execute();
      await table().addColumn('lease_expires_at', timestamp).execute();
      await table().addColumn('started_at', timestamp).execute();
      await table().addColumn('completed_at', timestamp).execute();
      await table().addColumn('cancelled_at', timestamp).execute();
      await table().addColumn('status_reason', 'text').execute();
      await table().addColumn('updated_at', timestamp).execute();

      await db.schema
        .createIndex('idx_scheduled_batches_campaign')
        .ifNotExists()
        .on('scheduled_batches')
        .columns(['campaign_id', 'status'])
        .execute();
      await db.schema
        .createIndex('idx_scheduled_batches_request')
        .ifNotExists()
        .on('scheduled_batches')
        .column('request_id')
        .execute();
      // Re-claiming a batch whose ticker died: only processing rows, by lease expiry.
      await db.schema
        .createIndex('idx_scheduled_batches_lease')
        .ifNotExists()
        .on('scheduled_batches')
        .column('lease_expires_at')
        .where(sql.ref('status'), '=', 'processing')
        .execute();

      await db.schema
        .createTable('tickwork_batch_recipients')
        .ifNotExists()
        .addColumn('batch_id', 'integer', (c) =>
          c.notNull().references('scheduled_batches.id').onDelete('cascade'),
        )
        .addColumn('request_id', 'integer', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('data', json, (c) => c.notNull())
        .addPrimaryKeyConstraint('tickwork_batch_recipients_pk', ['batch_id', 'position'])
        .addUniqueConstraint('tickwork_batch_recipients_email_unique', ['request_id', 'email'])
        .execute();
    },
  };
}
