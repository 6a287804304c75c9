import type { Kysely } from 'kysely';
import type { EngineContext } from '../../scheduler/engine.js';
import type { TickworkDatabase } from '../../store/schema.js';
import type { Emit } from './emit.js';
import { PendingEvents } from './emit.js';

const ATTEMPTS = 4;

/**
 * Runs an API write in one write transaction and fires its events after the commit. A
 * transient conflict (SQLite busy, a Postgres deadlock between an API call and a ticker)
 * rolls the whole attempt back, so it is retried from the start a few times.
 */
export async function writeAndEmit<T>(
  context: EngineContext,
  emit: Emit,
  fn: (trx: Kysely<TickworkDatabase>, events: PendingEvents) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const events = new PendingEvents(emit);
    try {
      const result = await context.adapter.writeTransaction(context.db, (trx) => fn(trx, events));
      events.fire();
      return result;
    } catch (error) {
      if (attempt >= ATTEMPTS || !context.adapter.isTransientContention(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
    }
  }
}
