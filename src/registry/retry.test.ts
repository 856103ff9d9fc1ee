import { describe, expect, it } from 'vitest';
import { Retryable, backoffMs, isRetryableStatus, retryAfterMs, withRetries, type RetryPolicy } from './retry.js';

const QUICK: RetryPolicy = { attempts: 4, totalMs: 10_000, baseDelayMs: 1, maxDelayMs: 5 };

describe('withRetries', () => {
  it('retries a Retryable until it succeeds', async () => {
    let calls = 0;
    const value = await withRetries(QUICK, async (attempt) => {
      calls++;
      if (attempt < 2) throw new Retryable(new Error(`try ${attempt}`));
      return 'done';
    });
    expect(value).toBe('done');
    expect(calls).toBe(3);
  });

  it('throws the last reason when attempts run out', async () => {
    let calls = 0;
    const run = withRetries(QUICK, async (attempt) => {
      calls++;
      throw new Retryable(new Error(`try ${attempt}`));
    });
    await expect(run).rejects.toThrow('try 3');
    expect(calls).toBe(4);
  });

  it('stops when the total time would be exceeded, and never retries other errors', async () => {
    let calls = 0;
    const slow = withRetries({ ...QUICK, totalMs: 50, maxDelayMs: 1000 }, async () => {
      calls++;
      throw new Retryable(new Error('busy'), 200);
    });
    await expect(slow).rejects.toThrow('busy');
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetries(QUICK, async () => {
      calls++;
      throw new Error('fatal');
    })).rejects.toThrow('fatal');
    expect(calls).toBe(1);
  });

  it('waits what the server asked for', async () => {
    const start = Date.now();
    let calls = 0;
    await withRetries({ ...QUICK, maxDelayMs: 1000 }, async () => {
      if (calls++ === 0) throw new Retryable(new Error('429'), 120);
    });
    expect(Date.now() - start).toBeGreaterThanOrEqual(110);
  });
});

describe('retry helpers', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it('doubles the backoff up to the cap, with at most a quarter of jitter', () => {
    const policy: RetryPolicy = { attempts: 9, totalMs: 1e6, baseDelayMs: 100, maxDelayMs: 1000 };
    for (const [attempt, plain] of [[0, 100], [1, 200], [3, 800], [4, 1000], [8, 1000]] as const) {
      const wait = backoffMs(policy, attempt);
      expect(wait).toBeGreaterThanOrEqual(plain * 0.75);
      expect(wait).toBeLessThanOrEqual(plain);
    }
  });

  it('retries 429 and 5xx except 501 and 505', () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 501, 505].some(isRetryableStatus)).toBe(false);
  });
});
