import { refuse, type Checked } from '../model/refusal.js';

/** 32 bytes, base64 or hex: anything else is refused rather than stretched into a key. */
export function parseSecretKey(text: string, source: string): Checked<{ key: Buffer }> {
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : /^[A-Za-z0-9+/]{43}=?$/.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (key?.length !== 32) return refuse(`${source} must be 32 random bytes in base64 or hex: make one with \`openssl rand -base64 32\``);
  return { ok: true, key };
}

/** Stored under another key than SLIPWAY_SECRET_KEY: refused at start-up, and by every read. */
export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}
