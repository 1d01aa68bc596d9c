import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The key Slipway signs provenance with, and what a verifier needs of it. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM: what `cosign verify-attestation --key` takes, served at /signing-key.pub. */
  publicPem: string;
  /** sha256 of the public key's DER, in the envelope's `keyid`. */
  keyid: string;
}

function fromPrivate(privateKey: KeyObject, where: string): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`${where} is not an ECDSA P-256 private key: make one with openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`);
  }
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyid: createHash('sha256').update(der).digest('hex') };
}

/**
 * SLIPWAY_SIGNING_KEY_FILE, or a key made once in the data folder (`signing-key.pem`, mode 600).
 * Processes on several machines must share one key: give them all the same file.
 */
export async function loadSigningKey(file: string | undefined, dataDir: string): Promise<SigningKey> {
  if (file) {
    const pem = await readFile(file, 'utf8').catch((error: unknown) => {
      throw new Error(`SLIPWAY_SIGNING_KEY_FILE ${file} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
    });
    return fromPrivate(createPrivateKey(pem), `SLIPWAY_SIGNING_KEY_FILE ${file}`);
  }
  const kept = path.join(dataDir, 'signing-key.pem');
  const existing = await readFile(kept, 'utf8').catch(() => undefined);
  if (existing) return fromPrivate(createPrivateKey(existing), kept);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await mkdir(dataDir, { recursive: true });
  await writeFile(kept, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' }).catch(() => undefined);
  // Two processes starting at once: the key on disk is the one.
  return fromPrivate(createPrivateKey(await readFile(kept, 'utf8')), kept);
}
