import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IN_TOTO_PAYLOAD_TYPE, pae, signEnvelope, verifyEnvelope } from '../../src/provenance/dsse.js';

/**
 * DSSE v1.0's pre-authentication encoding, written here from the specification
 * (secure-systems-lab/dsse envelope.md / protocol.md), not from Slipway's code:
 *   PAE(type, body) = "DSSEv1" + SP + LEN(type) + SP + type + SP + LEN(body) + SP + body
 * where LEN is the byte length as ASCII decimal without leading zeros.
 */
function specPae(type: string, body: Uint8Array): Uint8Array {
  const enc = new TextEncoder();
  const typeBytes = enc.encode(type);
  const parts = [enc.encode('DSSEv1'), enc.encode(' '), enc.encode(String(typeBytes.byteLength)), enc.encode(' '), typeBytes, enc.encode(' '), enc.encode(String(body.byteLength)), enc.encode(' '), body];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

describe('the DSSE envelope Slipway signs', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('encodes as the specification’s own example does', () => {
    expect(Buffer.from(specPae('http://example.com/HelloWorld', Buffer.from('hello world'))).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world'))).toEqual(Buffer.from(specPae('http://example.com/HelloWorld', Buffer.from('hello world'))));
    // Lengths are bytes, not characters.
    expect(pae('t', Buffer.from('é'))).toEqual(Buffer.from(specPae('t', new TextEncoder().encode('é'))));
  });

  it('carries standard base64 of the payload and a signature any verifier checks over the spec’s encoding', () => {
    const body = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [] }));

    const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, body, privateKey, 'key-1');

    expect(Object.keys(envelope).sort()).toEqual(['payload', 'payloadType', 'signatures']);
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(envelope.payload).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
    expect(Buffer.from(envelope.payload, 'base64')).toEqual(body);
    expect(envelope.signatures).toEqual([{ keyid: 'key-1', sig: expect.stringMatching(/^[A-Za-z0-9+/]+={0,2}$/) }]);
    // Checked with the spec's PAE, independently of Slipway's: ECDSA P-256 over SHA-256, DER-encoded.
    expect(verify('sha256', specPae(envelope.payloadType, body), publicKey, Buffer.from(envelope.signatures[0]!.sig, 'base64'))).toBe(true);
  });

  it('verifies only an untouched envelope, with the right key', () => {
    const body = Buffer.from('{"ok":true}');
    const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, body, privateKey, 'key-1');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;

    expect(verifyEnvelope(envelope, publicKey)).toEqual(body);
    expect(verifyEnvelope({ ...envelope, payload: Buffer.from('{"ok":false}').toString('base64') }, publicKey)).toBeUndefined();
    // The type is signed too: the same bytes under another type are another message.
    expect(verifyEnvelope({ ...envelope, payloadType: 'text/plain' }, publicKey)).toBeUndefined();
    expect(verifyEnvelope(envelope, other)).toBeUndefined();
    expect(verifyEnvelope({ ...envelope, signatures: [{ keyid: 'x', sig: 'bm90IGRlcg==' }] }, publicKey)).toBeUndefined();
  });
});
