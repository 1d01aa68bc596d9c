// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata API first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

type Key = webcrypto.CryptoKey;

/** PEM files of one daemon's TLS: its own CA, the daemon's pair, and the one client allowed in. */
export interface DaemonCertificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

async function pemKey(key: Key): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
}

const serial = () => Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');

/**
 * A CA made for one daemon and thrown away with it, as the official docker:dind image makes
 * one with DOCKER_TLS_CERTDIR: the daemon trusts only the client certificate issued here, and
 * Slipway trusts only the daemon certificate issued here, for the names it reaches it by.
 * ECDSA P-256 through WebCrypto: milliseconds, not the seconds an RSA key takes.
 */
export async function makeDaemonCertificates(reachedAs: { dns: string[]; ips: string[] }, validDays = 30): Promise<DaemonCertificates> {
  const notBefore = new Date(Date.now() - 5 * 60_000);
  const notAfter = new Date(Date.now() + validDays * DAY_MS);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=slipway dind CA',
    notBefore,
    notAfter,
    keys: caKeys as never,
    signingAlgorithm: ALGORITHM,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  const issue = async (name: string, usage: string, extra: x509.Extension[]) => {
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: name,
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey as never,
      signingKey: caKeys.privateKey as never,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([usage]),
        ...extra,
      ],
    });
    return { cert: cert.toString('pem'), key: await pemKey(keys.privateKey) };
  };
  const server = await issue('CN=slipway dind', x509.ExtendedKeyUsage.serverAuth, [
    new x509.SubjectAlternativeNameExtension([...reachedAs.dns.map((value) => ({ type: 'dns' as const, value })), ...reachedAs.ips.map((value) => ({ type: 'ip' as const, value }))]),
  ]);
  const client = await issue('CN=slipway', x509.ExtendedKeyUsage.clientAuth, []);
  return { ca: ca.toString('pem'), serverCert: server.cert, serverKey: server.key, clientCert: client.cert, clientKey: client.key };
}
