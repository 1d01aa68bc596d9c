/** `promise`, or `timedOut()` as its rejection once `ms` pass first; the timer never outlives the answer. */
export function withinTime<T>(promise: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * A signal that aborts once `ms` have passed in all (a deadline, not an idle timeout) or when
 * `signal` aborts, whichever comes first: what every request to the outside world carries.
 */
export function deadline(ms: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([timeout, signal]) : timeout;
}

/** Why `signal` aborted, in words: `no answer within 10 s`, or the cancellation's own reason. */
export function abortReason(signal: AbortSignal, ms: number): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return `no answer within ${ms / 1000} s`;
  return reason instanceof Error ? reason.message : String(reason ?? 'canceled');
}

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts. Requests to a dind daemon
 * that has just been removed are never answered (the connection stays open), so waiting on
 * them must end with the pipeline's signal, not with the socket.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
