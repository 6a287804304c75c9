import { sql, type Kysely } from 'kysely';
import type { StoreAdapter } from '../adapter.js';

/**
 * The mailer's five tables (same table and column names as its seed schema) and the
 * delivery outbox. No foreign keys to the host's `templates`/`campaigns`: tickwork does
 * not own them. Columns the engines add later come in their own migrations.
 */
export function initialMigration(adapter: StoreAdapter) {
  const { timestamp, json, boolean } = adapter.types;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await adapter
        .addIdColumn(db.schema.createTable('recurring_campaigns').ifNotExists())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('template_id', 'integer')
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('recipient_source', 'text', (c) => c.notNull())
        .addColumn('recipient_data', json)
        .addColumn('schedule_cron', 'text', (c) => c.notNull())
        .addColumn('timezone', 'text', (c) => c.notNull().defaultTo('UTC'))
        .addColumn('cc', json, (c) => c.notNull().defaultTo(sql`'[]'`))
        .addColumn('bcc', json, (c) => c.notNull().defaultTo(sql`'[]'`))
        .addColumn('enabled', boolean, (c) => c.notNull().defaultTo(adapter.trueDefault))
        .addColumn('last_run_at', timestamp)
        .addColumn('next_run_at', timestamp)
        .addColumn('created_at', timestamp, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('idx_recurring_campaigns_next_run')
        .ifNotExists()
        .on('recurring_campaigns')
        .column('next_run_at')
        .execute();

      await adapter
        .addIdColumn(db.schema.createTable('sequences').ifNotExists())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('enabled', boolean, (c) => c.notNull().defaultTo(adapter.trueDefault))
        .addColumn('created_at', timestamp, (c) => c.notNull())
        .addColumn('updated_at', timestamp, (c) => c.notNull())
        .execute();

      await adapter
        .addIdColumn(db.schema.createTable('sequence_steps').ifNotExists())
        .addColumn('sequence_id', 'integer', (c) =>
          c.notNull().references('sequences.id').onDelete('cascade'),
        )
        .addColumn('step_order', 'integer', (c) => c.notNull())
        .addColumn('template_id', 'integer')
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('delay_days', 'integer', (c) => c.notNull())
        .addColumn('delay_hours', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('send_time', 'text')
        .addColumn('created_at', timestamp, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('idx_sequence_steps_sequence')
        .ifNotExists()
        .on('sequence_steps')
        .columns(['sequence_id', 'step_order'])
        .execute();

      await adapter
        .addIdColumn(db.schema.createTable('sequence_enrollments').ifNotExists())
        .addColumn('sequence_id', 'integer', (c) =>
          c.notNull().references('sequences.id').onDelete('cascade'),
        )
        .addColumn('recipient_email', 'text', (c) => c.notNull())
        .addColumn('recipient_data', json)
        .addColumn('current_step', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
        .addColumn('enrolled_at', timestamp, (c) => c.notNull())
        .addColumn('next_send_at', timestamp)
        .addColumn('completed_at', timestamp)
        .addUniqueConstraint('sequence_enrollments_sequence_email_unique', ['sequence_id', 'recipient_email'])
        .execute();
      await db.schema
        .createIndex('idx_enrollments_next_send')
        .ifNotExists()
        .on('sequence_enrollments')
        .column('next_send_at')
        .execute();
      await db.schema
        .createIndex('idx_enrollments_status')
        .ifNotExists()
        .on('sequence_enrollments')
        .column('status')
        .execute();

      await adapter
        .addIdColumn(db.schema.createTable('scheduled_batches').ifNotExists())
        .addColumn('campaign_id', 'integer')
        .addColumn('scheduled_for', timestamp, (c) => c.notNull())
        .addColumn('recipient_emails', json, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
        .addColumn('created_at', timestamp, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('idx_scheduled_batches_status')
        .ifNotExists()
        .on('scheduled_batches')
        .columns(['status', 'scheduled_for'])
        .execute();

      await adapter
        .addIdColumn(db.schema.createTable('tickwork_outbox').ifNotExists())
        .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
        .addColumn('source_type', 'text', (c) => c.notNull())
        .addColumn('source_id', 'integer')
        .addColumn('recipient_email', 'text', (c) => c.notNull())
        .addColumn('message', json, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', timestamp, (c) => c.notNull())
        .addColumn('lease_expires_at', timestamp)
        .addColumn('lease_token', 'text')
        .addColumn('last_error', 'text')
        .addColumn('sent_at', timestamp)
        .addColumn('result', json)
        .addColumn('created_at', timestamp, (c) => c.notNull())
        .addColumn('updated_at', timestamp, (c) => c.notNull())
        .execute();
      // The claim query's index: only claimable rows, in the order they are claimed, so
      // its cost does not grow with the number of finished rows.
      await db.schema
        .createIndex('idx_tickwork_outbox_claim')
        .ifNotExists()
        .on('tickwork_outbox')
        .column('next_attempt_at')
        .where(sql.ref('status'), 'in', ['pending', 'retrying', 'sending'])
        .execute();
      await db.schema
        .createIndex('idx_tickwork_outbox_source')
        .ifNotExists()
        .on('tickwork_outbox')
        .columns(['source_type', 'source_id', 'status'])
        .execute();
    },
  };
}
