import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from '@octokit/oauth-methods';
import { request } from '@octokit/request';
import type { OAuthClient } from '../../config/load-config.js';
import type { ForgeLogin } from '../forge-login.js';

/** GitHub's (or GitHub Enterprise Server's) web flow for the GitHub App's user tokens. */
export function githubLogin(client: OAuthClient, gheHost: string | undefined): ForgeLogin {
  const base = gheHost
    ? request.defaults({ baseUrl: `https://${gheHost}/api/v3` })
    : request;
  return {
    forge: 'github',
    label: 'GitHub',
    authorizeUrl(state, redirectUri) {
      return getWebFlowAuthorizationUrl({ clientType: 'github-app', clientId: client.clientId, redirectUrl: redirectUri, state, request: base }).url;
    },
    async identify(code, redirectUri) {
      const { authentication } = await exchangeWebFlowCode({ clientType: 'github-app', clientId: client.clientId, clientSecret: client.clientSecret, code, redirectUrl: redirectUri, request: base });
      const { data } = await base('GET /user', { headers: { authorization: `token ${authentication.token}` } });
      return { id: String(data.id), login: data.login };
    },
  };
}
