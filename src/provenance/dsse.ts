import { sign, verify, type KeyObject } from 'node:crypto';

/** The DSSE envelope (v1.0), as cosign and in-toto read it. */
export interface Envelope {
  payloadType: string;
  /** Standard base64 of the payload's bytes. */
  payload: string;
  signatures: Array<{ keyid: string; sig: string }>;
}

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/**
 * DSSE's pre-authentication encoding: what is signed is never the payload alone, so a
 * signature over one type of payload cannot be passed off as another.
 * PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal bytes.
 */
export function pae(payloadType: string, body: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

/** Signs `body` with an ECDSA P-256 key (SHA-256, DER signature, as cosign's keys sign). */
export function signEnvelope(payloadType: string, body: Buffer, key: KeyObject, keyid: string): Envelope {
  const sig = sign('sha256', pae(payloadType, body), key);
  return { payloadType, payload: body.toString('base64'), signatures: [{ keyid, sig: sig.toString('base64') }] };
}

/** The payload, if one of the envelope's signatures verifies with `publicKey`; undefined otherwise. */
export function verifyEnvelope(envelope: Envelope, publicKey: KeyObject): Buffer | undefined {
  const body = Buffer.from(envelope.payload, 'base64');
  const signed = pae(envelope.payloadType, body);
  for (const signature of envelope.signatures ?? []) {
    try {
      if (verify('sha256', signed, publicKey, Buffer.from(signature.sig, 'base64'))) return body;
    } catch {
      // A signature that is not DER at all verifies nothing; the next may.
    }
  }
  return undefined;
}
