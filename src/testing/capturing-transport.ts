import { PermanentDeliveryError } from '../errors.js';
import type { OutgoingMessage, SendContext, Transport } from '../delivery/types.js';

export interface CapturedSend {
  message: OutgoingMessage;
  idempotencyKey: string;
  attempt: number;
}

/**
 * A transport for tests: records every call and can be told to fail. Failures are
 * scripted, never random, so a test that uses it is repeatable.
 */
export class CapturingTransport implements Transport {
  /** Every call, in order, including the ones that were made to fail. */
  readonly calls: CapturedSend[] = [];
  /** Only the calls that succeeded. */
  readonly sent: CapturedSend[] = [];
  private failNext = 0;
  private failNextError: () => unknown = () => new Error('simulated transport failure');
  private readonly permanentKeys = new Set<string>();
  private readonly permanentEmails = new Set<string>();
  private delayMs = 0;
  private nextResult: ((message: OutgoingMessage, context: SendContext) => unknown) | undefined;

  /** The next `count` calls throw (a retryable error by default). */
  failNextSends(count: number, error: () => unknown = () => new Error('simulated transport failure')): this {
    this.failNext = count;
    this.failNextError = error;
    return this;
  }

  /** Calls for this idempotency key always fail permanently. */
  failPermanentlyForKey(key: string): this {
    this.permanentKeys.add(key);
    return this;
  }

  /** Calls addressed to this email always fail permanently (a hard bounce). */
  failPermanentlyForEmail(email: string): this {
    this.permanentEmails.add(email.toLowerCase());
    return this;
  }

  /** Each call waits this long before settling; it honours the abort signal. */
  respondAfter(ms: number): this {
    this.delayMs = ms;
    return this;
  }

  /** What each successful send resolves with (stored as the outbox row's result). */
  resolveWith(result: (message: OutgoingMessage, context: SendContext) => unknown): this {
    this.nextResult = result;
    return this;
  }

  /** The idempotency keys of successful sends, in order. */
  get sentKeys(): string[] {
    return this.sent.map((s) => s.idempotencyKey);
  }

  reset(): void {
    this.calls.length = 0;
    this.sent.length = 0;
    this.failNext = 0;
    this.permanentKeys.clear();
    this.permanentEmails.clear();
    this.delayMs = 0;
    this.nextResult = undefined;
  }

  async send(message: OutgoingMessage, context: SendContext): Promise<unknown> {
    const record: CapturedSend = {
      message,
      idempotencyKey: context.idempotencyKey,
      attempt: context.attempt,
    };
    this.calls.push(record);
    if (this.delayMs > 0) await abortableDelay(this.delayMs, context.signal);
    if (
      this.permanentKeys.has(context.idempotencyKey) ||
      this.permanentEmails.has(message.to.toLowerCase())
    ) {
      throw new PermanentDeliveryError(`simulated hard bounce for ${message.to}`);
    }
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw this.failNextError();
    }
    this.sent.push(record);
    return this.nextResult?.(message, context);
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
