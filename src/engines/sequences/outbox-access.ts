/*
 * Two outbox operations the shared Outbox class does not offer yet (see the engine's report):
 * reading the state of many rows by key, and putting a cancelled or dead row back in the
 * queue under its own key. Both keep to the outbox's rules: instants come from the caller,
 * and a row whose lease is still running (a send in flight) is never touched.
 */
import type { Kysely } from 'kysely';
import type { OutgoingMessage } from '../../delivery/types.js';
import type { StoreAdapter } from '../../store/adapter.js';
import { readDate, writeDate, writeJson } from '../../store/codec.js';
import type { DeliveryStatus, TickworkDatabase } from '../../store/schema.js';

export interface StepRowState {
  status: DeliveryStatus;
  sentAt: Date | null;
  leaseExpiresAt: Date | null;
}

const KEY_CHUNK = 1000;

export async function readRowStates(
  db: Kysely<TickworkDatabase>,
  keys: readonly string[],
): Promise<Map<string, StepRowState>> {
  const states = new Map<string, StepRowState>();
  for (let start = 0; start < keys.length; start += KEY_CHUNK) {
    const rows = await db
      .selectFrom('tickwork_outbox')
      .select(['idempotency_key', 'status', 'sent_at', 'lease_expires_at'])
      .where('idempotency_key', 'in', keys.slice(start, start + KEY_CHUNK))
      .execute();
    for (const row of rows) {
      states.set(row.idempotency_key, {
        status: row.status,
        sentAt: readDate(row.sent_at),
        leaseExpiresAt: readDate(row.lease_expires_at),
      });
    }
  }
  return states;
}

/** True while a claim's lease runs: the row may be in a transport call right now. */
export function inFlight(state: StepRowState, now: Date): boolean {
  return state.leaseExpiresAt !== null && state.leaseExpiresAt > now;
}

/**
 * Puts a cancelled or dead row back to pending with a fresh message and attempt count, so a
 * paused, released or retried step goes out under the same idempotency key. Returns false
 * when the row is not in such a state (or is locked by a concurrent settle): the caller
 * looks again later.
 */
export async function requeueRow(
  db: Kysely<TickworkDatabase>,
  adapter: StoreAdapter,
  params: { key: string; message: OutgoingMessage; dueAt: Date; now: Date },
): Promise<boolean> {
  const now = writeDate(params.now);
  const target = adapter.lockForClaim(
    db
      .selectFrom('tickwork_outbox')
      .select('id')
      .where('idempotency_key', '=', params.key)
      .where('status', 'in', ['cancelled', 'dead'])
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)])),
  );
  const result = await db
    .updateTable('tickwork_outbox')
    .set({
      status: 'pending',
      attempts: 0,
      message: writeJson(params.message),
      recipient_email: params.message.to,
      next_attempt_at: writeDate(params.dueAt),
      lease_expires_at: null,
      lease_token: null,
      last_error: null,
      sent_at: null,
      result: null,
      updated_at: now,
    })
    .where('id', 'in', target)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
