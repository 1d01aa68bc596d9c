import { Gitlab } from '@gitbeaker/rest';
import type { OAuthClient } from '../../config/load-config.js';
import type { ForgeLogin } from '../forge-login.js';

/** GitLab's OAuth authorization-code flow (an application with the `read_user` scope). */
export function gitlabLogin(client: OAuthClient, gitlabUrl: string): ForgeLogin {
  return {
    forge: 'gitlab',
    label: 'GitLab',
    authorizeUrl(state, redirectUri) {
      const url = new URL('/oauth/authorize', gitlabUrl);
      url.search = new URLSearchParams({ client_id: client.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'read_user', state }).toString();
      return url.toString();
    },
    async identify(code, redirectUri) {
      // gitbeaker has no OAuth token exchange; it is one form post.
      const response = await fetch(new URL('/oauth/token', gitlabUrl), {
        method: 'POST',
        headers: { accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: client.clientId, client_secret: client.clientSecret }),
        signal: AbortSignal.timeout(15_000),
      });
      const body = (await response.json().catch(() => ({}))) as { access_token?: string; error_description?: string; error?: string };
      if (!response.ok || !body.access_token) throw new Error(`GitLab refused the login: ${body.error_description ?? body.error ?? `HTTP ${response.status}`}`);
      const user = await new Gitlab({ host: gitlabUrl, oauthToken: body.access_token }).Users.showCurrentUser();
      return { id: String(user.id), login: user.username };
    },
  };
}
