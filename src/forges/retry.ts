import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
  /** Client errors (bad token, missing project) will not get better by asking again. */
  retryable?: (error: unknown) => boolean;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { status?: unknown; cause?: { response?: { status?: unknown } } };
  if (typeof candidate.status === 'number') return candidate.status;
  const nested = candidate.cause?.response?.status;
  return typeof nested === 'number' ? nested : undefined;
}

export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || status === 429 || status >= 500;
}

/** Runs `work`, retrying transient failures with exponential backoff (200 ms, 400 ms, 800 ms, …). */
export async function withRetry<T>(work: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 200;
  const retryable = options.retryable ?? isTransient;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !retryable(error)) throw error;
      await sleep(baseDelayMs * 2 ** (attempt - 1));
    }
  }
}
