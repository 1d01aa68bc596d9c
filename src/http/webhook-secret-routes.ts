import type { WebhookSecretStore } from '../store/webhook-secret-store.js';
import { checkAdminToken } from './admin-token.js';
import { sendError, sendJson } from './respond.js';
import type { Route } from './router.js';

/** `POST /api/webhook-secrets/gitlab/:projectId` (admin token): a new secret for one project, shown once. */
export function webhookSecretRoutes(store: WebhookSecretStore, adminToken: string | undefined, publicUrl: string): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/webhook-secrets/:forge/:projectId',
      async handle(request, response, params) {
        if (!checkAdminToken(adminToken, request, response)) return;
        if (params.forge !== 'gitlab') return sendError(response, 404, `webhook secrets are issued for gitlab projects; GitHub signs with the App's own secret`);
        if (!/^\d{1,15}$/.test(params.projectId ?? '')) return sendError(response, 400, `${params.projectId} is not a GitLab project id: use the number on the project's overview page`);
        const secret = await store.issue('gitlab', params.projectId!);
        sendJson(response, 201, { secret, url: `${publicUrl}/webhooks/gitlab`, projectId: params.projectId });
      },
    },
  ];
}
