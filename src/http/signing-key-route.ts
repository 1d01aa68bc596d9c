import type { Route } from './router.js';

export const SIGNING_KEY_PATH = '/signing-key.pub';

/** `GET /signing-key.pub`: the public key provenance is signed with, for `cosign verify-attestation --key`. */
export function signingKeyRoute(publicPem: string): Route {
  return {
    method: 'GET',
    path: SIGNING_KEY_PATH,
    handle(_request, response) {
      response.writeHead(200, { 'content-type': 'application/x-pem-file', 'cache-control': 'public, max-age=300' });
      response.end(publicPem);
    },
  };
}
