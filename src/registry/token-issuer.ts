import { createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import { SignJWT } from 'jose';
import type { RegistryTokenSettings } from '../config/load-config.js';

/** One `scope` a client asks for: `repository:group/project:pull,push`. */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** Registries ask for a new token when one expires, so a short life costs nothing. */
const TOKEN_LIFETIME_SECONDS = 300;

/** `repository:name:pull,push` -> Access; the name may itself hold colons (`repository(plugin):…` aside). */
export function parseScope(scope: string): Access | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return null;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

/**
 * Signs registry bearer tokens (Docker's token authentication, as `docker-registry` checks
 * them): audience is the registry's service, the signing certificate travels in `x5c`, and
 * the registry trusts it through its `rootcertbundle`.
 */
export function createTokenIssuer(settings: RegistryTokenSettings) {
  const key = createPrivateKey(settings.privateKeyPem);
  const certificate = new X509Certificate(settings.certificatePem);
  const algorithm = key.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
  const x5c = [certificate.raw.toString('base64')];

  return {
    service: settings.service,
    async issue(subject: string, access: Access[]): Promise<{ token: string; expiresIn: number; issuedAt: string }> {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ access })
        .setProtectedHeader({ alg: algorithm, typ: 'JWT', x5c })
        .setIssuer(settings.issuer)
        .setSubject(subject)
        .setAudience(settings.service)
        .setIssuedAt(now)
        // A little slack for a registry whose clock runs behind Slipway's.
        .setNotBefore(now - 10)
        .setExpirationTime(now + TOKEN_LIFETIME_SECONDS)
        .setJti(randomUUID())
        .sign(key);
      return { token, expiresIn: TOKEN_LIFETIME_SECONDS, issuedAt: new Date(now * 1000).toISOString() };
    },
  };
}

export type TokenIssuer = ReturnType<typeof createTokenIssuer>;
