import type { RetryOptions } from './options.js';

/**
 * Delay before retry number `attempt` (1-based: the delay after the first failure is
 * attempt 1). Exponential, capped, with "equal jitter": half the delay is kept and half is
 * random, so retries spread out without ever collapsing to zero.
 */
export function retryDelayMs(attempt: number, options: RetryOptions, random: () => number): number {
  const exponential = options.baseDelayMs * 2 ** Math.min(attempt - 1, 52);
  const capped = Math.min(options.maxDelayMs, exponential);
  const half = capped / 2;
  return Math.round(half + random() * half);
}
