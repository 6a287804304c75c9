import type { Kysely } from 'kysely';
import type { StoreAdapter } from '../../store/adapter.js';
import type { TickworkDatabase } from '../../store/schema.js';

/**
 * The sequences engine's columns and indexes on top of 0001-initial. Columns are added one
 * per statement (SQLite's ALTER TABLE takes one); a NOT NULL column needs a default there.
 * `reschedule` is a plain integer flag, so its `0` default is valid on both dialects.
 */
export function sequencesMigration(adapter: StoreAdapter) {
  const { timestamp } = adapter.types;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const sequences = () => db.schema.alterTable('sequences');
      await sequences()
        .addColumn('timezone', 'text', (c) => c.notNull().defaultTo('UTC'))
        .execute();
      await sequences()
        .addColumn('on_step_failure', 'text', (c) => c.notNull().defaultTo('stop'))
        .execute();

      await db.schema.alterTable('sequence_steps').addColumn('updated_at', timestamp).execute();

      const enrollments = () => db.schema.alterTable('sequence_enrollments');
      await enrollments().addColumn('timezone', 'text').execute();
      await enrollments().addColumn('last_step_id', 'integer').execute();
      await enrollments().addColumn('last_step_at', timestamp).execute();
      await enrollments().addColumn('pending_step_id', 'integer').execute();
      await enrollments()
        .addColumn('reschedule', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await enrollments().addColumn('status_reason', 'text').execute();
      await enrollments().addColumn('paused_at', timestamp).execute();
      await enrollments().addColumn('cancelled_at', timestamp).execute();
      await enrollments().addColumn('failed_at', timestamp).execute();
      await enrollments().addColumn('updated_at', timestamp).execute();

      // The tick's claim: due active enrollments in due order, without touching held or finished ones.
      await db.schema
        .createIndex('idx_enrollments_due')
        .ifNotExists()
        .on('sequence_enrollments')
        .columns(['status', 'next_send_at'])
        .execute();
      // Listing and counting a sequence's enrollments per status.
      await db.schema
        .createIndex('idx_enrollments_sequence_status')
        .ifNotExists()
        .on('sequence_enrollments')
        .columns(['sequence_id', 'status', 'id'])
        .execute();

      // Rows written by the mailer before tickwork: anchor their progress on the step they reached.
      const typed = db as unknown as Kysely<TickworkDatabase>;
      await typed
        .updateTable('sequence_enrollments')
        .set((eb) => ({
          last_step_id: eb
            .selectFrom('sequence_steps')
            .select('sequence_steps.id')
            .whereRef('sequence_steps.sequence_id', '=', 'sequence_enrollments.sequence_id')
            .whereRef('sequence_steps.step_order', '=', 'sequence_enrollments.current_step')
            .orderBy('sequence_steps.id')
            .limit(1),
        }))
        .where('current_step', '>', 0)
        .execute();
    },
  };
}
