/** A recipient as the engines see it: an address plus the host's own fields. */
export interface Recipient {
  email: string;
  name?: string;
  /** IANA zone of the recipient, used by sequences and timezone batches. */
  timezone?: string;
  [field: string]: unknown;
}

/** Where a message came from; instants are ISO-8601 strings so the message survives JSON. */
export type MessageOrigin =
  | {
      type: 'recurring';
      campaignId: number;
      runId: number;
      /** The occurrence's scheduled instant (for a manual run: the instant it was requested). */
      scheduledAt: string;
      /** The tick instant that ran it. */
      firedAt: string;
      latenessMs: number;
      catchUp: boolean;
      manual: boolean;
    }
  | {
      type: 'sequence';
      sequenceId: number;
      enrollmentId: number;
      stepId: number;
      stepOrder: number;
    }
  | {
      type: 'batch';
      batchId: number;
      campaignId: number | null;
      scheduledFor: string;
    }
  | {
      type: 'direct';
    };

/** What the host's transport is handed: everything needed to render and send one email. */
export interface OutgoingMessage {
  to: string;
  cc: string[];
  bcc: string[];
  subject: string;
  templateId: number | null;
  /** The recipient's own fields (name, timezone, anything the source returned). */
  recipient: Recipient;
  origin: MessageOrigin;
}

export interface SendContext {
  /** Stable for (source, occurrence or step, recipient): the same on every retry and after a crash. */
  idempotencyKey: string;
  /** 1 on the first try. */
  attempt: number;
  /** Aborted when `delivery.sendTimeoutMs` passes or the scheduler closes. */
  signal: AbortSignal;
}

/**
 * The host's way of sending. Resolve (optionally with a JSON-serialisable result such as
 * `{ messageId }`, stored on the outbox row) when the message was accepted; throw to have it
 * retried; throw `PermanentDeliveryError` when retrying cannot help.
 */
export interface Transport {
  send(message: OutgoingMessage, context: SendContext): Promise<unknown> | unknown;
}

export type { DeliveryStatus } from '../store/schema.js';
