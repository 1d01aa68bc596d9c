/** `promise`, or `timedOut()` as its rejection once `ms` pass first; the timer never outlives the answer. */
export function withinTime<T>(promise: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
