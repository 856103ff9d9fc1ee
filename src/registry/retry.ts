/**
 * Retries with exponential backoff, bounded both in attempts and in total time.
 *
 * An operation asks to be tried again by throwing `Retryable`, optionally with the
 * wait the server asked for (`Retry-After`). Everything else ends the loop at once.
 * Only idempotent steps are wrapped: a GET, a HEAD, a manifest PUT, or a whole blob
 * upload restarted from its POST.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** RetryPolicy bounds the retries of one operation. */
export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  attempts: number;
  /** No new attempt starts once this long has passed since the first, in ms. */
  totalMs: number;
  /** The first backoff, doubled each time, in ms. */
  baseDelayMs: number;
  /** The longest single wait, also the cap on a server's Retry-After, in ms. */
  maxDelayMs: number;
}

/** DEFAULT_RETRY_POLICY: five attempts within two minutes, waits of 0.5 s doubling to 10 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  totalMs: 120_000,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
};

/** Retryable wraps a failure that may go away when the operation runs again. */
export class Retryable extends Error {
  constructor(
    /** The failure, thrown as is when no attempt is left. */
    readonly reason: unknown,
    /** The wait the server asked for, in ms. */
    readonly afterMs?: number,
  ) {
    super('retryable failure');
  }
}

/**
 * isRetryableStatus tells the statuses worth asking again: 429 and the 5xx family,
 * except 501 and 505, which say the server will never do it.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** backoffMs is the wait before attempt `attempt + 1`: doubling from the base, capped, with jitter. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const plain = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  // Up to a quarter of jitter keeps parallel clients from retrying in lockstep.
  return Math.round(plain * (0.75 + Math.random() * 0.25));
}

/**
 * retryAfterMs reads a `Retry-After` header: delay-seconds or an HTTP date.
 * Returns undefined when absent or unreadable.
 */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * withRetries runs `op` until it returns, throws something other than Retryable,
 * or the policy's attempts or total time run out; then the last reason is thrown.
 */
export async function withRetries<T>(policy: RetryPolicy, op: (attempt: number) => Promise<T>): Promise<T> {
  const start = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (!(err instanceof Retryable)) throw err;
      const wait = Math.min(policy.maxDelayMs, err.afterMs ?? backoffMs(policy, attempt));
      const outOfTime = Date.now() - start + wait > policy.totalMs;
      if (attempt + 1 >= policy.attempts || outOfTime) throw err.reason;
      await sleep(wait);
    }
  }
}
