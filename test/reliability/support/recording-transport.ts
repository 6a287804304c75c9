/*
 * The transport every worker process uses: it appends one line per transport call to the
 * worker's own log file when the call starts (B) and one when it settles (E), each with a
 * synchronous appendFileSync. A write that returned is in the kernel's page cache, so the log
 * is complete up to the instant of a kill -9 (a call whose B line has no E line was in flight
 * when its process died).
 *
 * Faults are a pure function of (seed, key, attempt) — not of which process sends, or when —
 * so the outcome of every row can be predicted exactly from the input (transport-faults.test.ts).
 */
import { appendFileSync } from 'node:fs';
import {
  PermanentDeliveryError,
  type OutgoingMessage,
  type SendContext,
  type Transport,
} from '../../../src/index.js';
import { unitFor } from './prng.js';

export interface FaultPlan {
  seed: number;
  /** Share of calls that throw a retryable error. */
  transientRate: number;
  /** Share of calls that never settle (until the send timeout aborts them). */
  timeoutRate: number;
  /** Share of calls that throw PermanentDeliveryError (a hard bounce). */
  permanentRate: number;
}

export type SendFate = 'ok' | 'transient' | 'timeout' | 'permanent';

export function fateOf(plan: FaultPlan | undefined, key: string, attempt: number): SendFate {
  if (!plan) return 'ok';
  const u = unitFor(plan.seed, 'fate', key, attempt);
  if (u < plan.permanentRate) return 'permanent';
  if (u < plan.permanentRate + plan.timeoutRate) return 'timeout';
  if (u < plan.permanentRate + plan.timeoutRate + plan.transientRate) return 'transient';
  return 'ok';
}

export const transientMessage = (attempt: number) => `421 simulated transient failure (attempt ${attempt})`;
export const PERMANENT_MESSAGE = '550 simulated hard bounce';

export interface DelayPlan {
  seed: number;
  minMs: number;
  maxMs: number;
}

/** One line of a worker's call log. */
export interface CallLine {
  /** B: the call started; E: it settled. */
  t: 'B' | 'E';
  pid: number;
  key: string;
  attempt: number;
  /** The message's origin type (direct, recurring, sequence, batch). */
  src: string;
  /** The `now` (epoch ms, simulated) of the tick that claimed the row. */
  now: number;
  /** Wall clock, epoch ms. */
  wall: number;
  /** E lines: sent, transient, timeout, permanent. */
  outcome?: 'sent' | Exclude<SendFate, 'ok'>;
}

export interface RecordingTransportConfig {
  logPath: string;
  /** The `now` of the tick in progress (one tick at a time per scheduler). */
  tickNow: () => Date;
  faults?: FaultPlan;
  delay?: DelayPlan;
}

export function recordingTransport(config: RecordingTransportConfig): Transport {
  const log = (line: CallLine) => appendFileSync(config.logPath, `${JSON.stringify(line)}\n`);
  return {
    async send(message: OutgoingMessage, context: SendContext) {
      const base = {
        pid: process.pid,
        key: context.idempotencyKey,
        attempt: context.attempt,
        src: message.origin.type,
        now: config.tickNow().getTime(),
      };
      log({ t: 'B', ...base, wall: Date.now() });
      const fate = fateOf(config.faults, context.idempotencyKey, context.attempt);
      if (fate === 'timeout') {
        // Never settles on its own: only the send timeout (or shutdown) ends it.
        return new Promise((_resolve, reject) => {
          const onAbort = () => {
            log({ t: 'E', ...base, wall: Date.now(), outcome: 'timeout' });
            reject(context.signal.reason);
          };
          if (context.signal.aborted) onAbort();
          else context.signal.addEventListener('abort', onAbort, { once: true });
        });
      }
      if (config.delay) {
        const { seed, minMs, maxMs } = config.delay;
        const ms =
          minMs +
          Math.floor(unitFor(seed, 'delay', context.idempotencyKey, context.attempt) * (maxMs - minMs + 1));
        if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
      }
      if (fate === 'transient') {
        log({ t: 'E', ...base, wall: Date.now(), outcome: 'transient' });
        throw new Error(transientMessage(context.attempt));
      }
      if (fate === 'permanent') {
        log({ t: 'E', ...base, wall: Date.now(), outcome: 'permanent' });
        throw new PermanentDeliveryError(PERMANENT_MESSAGE);
      }
      log({ t: 'E', ...base, wall: Date.now(), outcome: 'sent' });
      return { messageId: `<${context.idempotencyKey}.${context.attempt}@reliability.test>` };
    },
  };
}
