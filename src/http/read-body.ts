import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {}

/** Too many bodies are being read at once: answered 429 with `Retry-After`, never buffered. */
export class BodyReadsBusyError extends Error {}

/** The most any forge sends (GitHub caps webhook payloads at 25 MB). */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;

/**
 * Bounds the memory that bodies nobody has authenticated yet can take: a few large reads at
 * once, more small ones; past that a request is refused at once instead of queued.
 */
export function createBodyGate(options: { largeBytes: number; maxLarge: number; maxSmall: number }) {
  let large = 0;
  let small = 0;
  return {
    /** A release function, or undefined when no slot is free for a body of this declared size. */
    enter(request: IncomingMessage): (() => void) | undefined {
      const declared = Number(request.headers['content-length'] ?? NaN);
      // Chunked bodies have no declared size: count them as large.
      const isLarge = !Number.isFinite(declared) || declared > options.largeBytes;
      if (isLarge ? large >= options.maxLarge : small >= options.maxSmall) return undefined;
      if (isLarge) large += 1;
      else small += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (isLarge) large -= 1;
        else small -= 1;
      };
    },
  };
}

export type BodyGate = ReturnType<typeof createBodyGate>;

/** One gate for the process: every route that reads a body before it can authenticate it goes through it. */
export const sharedBodyGate = createBodyGate({ largeBytes: 1024 * 1024, maxLarge: 4, maxSmall: 64 });

/** The raw request body: signatures are computed over these exact bytes, never over re-serialised JSON. */
export async function readBody(request: IncomingMessage, limitBytes = MAX_BODY_BYTES, gate: BodyGate = sharedBodyGate): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) throw new BodyTooLargeError(`request body is larger than ${limitBytes} bytes`);
  const release = gate.enter(request);
  if (!release) throw new BodyReadsBusyError('too many request bodies are being read at once; try again shortly');
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > limitBytes) throw new BodyTooLargeError(`request body is larger than ${limitBytes} bytes`);
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  } finally {
    release();
  }
}
