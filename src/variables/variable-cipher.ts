import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/** Where a value belongs: the ciphertext is bound to it, so a row moved to another name does not decrypt. */
export interface VariablePlace {
  project: string;
  environment: string;
  name: string;
}

export interface Sealed {
  /** Ciphertext followed by the 16-byte GCM tag. */
  ciphertext: Buffer;
  nonce: Buffer;
  keyId: string;
}

export interface VariableCipher {
  /** Names the key without revealing it: rows sealed under another key are told apart from damaged ones. */
  keyId: string;
  seal(value: string, place: VariablePlace): Sealed;
  /** Throws when the key or the place is not the one the value was sealed with. */
  open(sealed: Omit<Sealed, 'keyId'>, place: VariablePlace): string;
}

const TAG_BYTES = 16;

function associatedData(place: VariablePlace): Buffer {
  return Buffer.from(JSON.stringify([place.project, place.environment, place.name]));
}

/** AES-256-GCM under `key` (32 bytes), with a fresh 96-bit nonce for every value. */
export function createVariableCipher(key: Buffer): VariableCipher {
  if (key.length !== 32) throw new Error('a variable key must be 32 bytes');
  const keyId = createHmac('sha256', key).update('slipway variable key id').digest('hex').slice(0, 16);
  return {
    keyId,
    seal(value, place) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(associatedData(place));
      const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return { ciphertext, nonce, keyId };
    },
    open(sealed, place) {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce);
      decipher.setAAD(associatedData(place));
      decipher.setAuthTag(sealed.ciphertext.subarray(-TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.ciphertext.subarray(0, -TAG_BYTES)), decipher.final()]).toString('utf8');
    },
  };
}
