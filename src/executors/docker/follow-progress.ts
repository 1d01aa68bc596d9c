import type Docker from 'dockerode';

export interface ProgressEvent {
  status?: string;
  stream?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
}

/** An error reported inside a progress stream: the HTTP status was 200, the operation failed anyway. */
export class DockerStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DockerStreamError';
  }
}

/** Reads a pull/build/push progress stream to its end; rejects on the first error event. */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent: (event: ProgressEvent) => void = () => undefined,
  signal?: AbortSignal,
): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    const abort = () => {
      (stream as NodeJS.ReadableStream & { destroy?: (error?: Error) => void }).destroy?.();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal?.aborted) return abort();
    signal?.addEventListener('abort', abort, { once: true });
    docker.modem.followProgress(
      stream,
      (error: Error | null, events: ProgressEvent[]) => {
        signal?.removeEventListener('abort', abort);
        if (error) return reject(error);
        if (failure !== undefined) return reject(new DockerStreamError(failure));
        resolve(events);
      },
      (event: ProgressEvent) => {
        if (failure === undefined && (event.error || event.errorDetail)) {
          failure = (event.errorDetail?.message ?? event.error ?? 'unknown error').trim();
        }
        onEvent(event);
      },
    );
  });
}
