import { generateKeyPairSync } from 'node:crypto';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createProbot } from '../../src/forges/github/create-probot.js';
import { createGithubForge } from '../../src/forges/github/github-forge.js';
import { createLogger } from '../../src/telemetry/logger.js';

const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

describe('deploys on GitHub', () => {
  it('create one deployment per commit and environment, then add its statuses, on GitHub Enterprise', async () => {
    const forge = createGithubForge(createProbot({ appId: '1', privateKey, webhookSecret: 'x', gheHost: 'github.example.com' }, createLogger('silent')));
    const target = { forge: 'github' as const, project: 'octo/app', apiContext: { installationId: 3 } };
    const statuses: unknown[] = [];
    const api = nock('https://github.example.com/api/v3')
      .post('/app/installations/3/access_tokens')
      .reply(201, { token: 'ghs_x', expires_at: new Date(Date.now() + 3_600_000).toISOString() })
      .get('/repos/octo/app/deployments')
      .query({ sha: 'a'.repeat(40), environment: 'prod', per_page: '1' })
      .reply(200, [])
      .post('/repos/octo/app/deployments', (body) => body.ref === 'a'.repeat(40) && body.environment === 'prod' && body.auto_merge === false)
      .reply(201, { id: 77 })
      .post('/repos/octo/app/deployments/77/statuses', (body) => statuses.push(body) > 0)
      .reply(201, {})
      .get('/repos/octo/app/deployments')
      .query(true)
      .reply(200, [{ id: 77 }])
      .post('/repos/octo/app/deployments/77/statuses', (body) => statuses.push(body) > 0)
      .reply(201, {});

    await forge.reportDeployment(target, { sha: 'a'.repeat(40), environment: 'prod', state: 'in_progress', description: 'deploying', changeRequest: 2 });
    await forge.reportDeployment(target, {
      sha: 'a'.repeat(40),
      environment: 'prod',
      state: 'success',
      description: 'deployed',
      changeRequest: 2,
      environmentUrl: 'https://shop.example.com',
      logUrl: 'https://slipway.example.com/pipelines/5',
    });

    expect(api.isDone()).toBe(true);
    expect(statuses).toEqual([
      { state: 'in_progress', description: 'deploying' },
      { state: 'success', description: 'deployed', environment_url: 'https://shop.example.com', log_url: 'https://slipway.example.com/pipelines/5' },
    ]);
  });

  it('describe a commit by its title and the author GitHub knows', async () => {
    const forge = createGithubForge(createProbot({ appId: '1', privateKey, webhookSecret: 'x', gheHost: undefined }, createLogger('silent')));
    const target = { forge: 'github' as const, project: 'octo/app', apiContext: { installationId: 3 } };
    const sha = 'b'.repeat(40);
    const api = nock('https://api.github.com')
      .post('/app/installations/3/access_tokens')
      .reply(201, { token: 'ghs_x', expires_at: new Date(Date.now() + 3_600_000).toISOString() })
      .get(`/repos/octo/app/commits/${sha}`)
      .query(true)
      .reply(200, { sha, author: { login: 'octocat' }, commit: { message: 'Add checkout\n\nLong body that is not the title', author: { name: 'The Octocat' } } });

    const commit = await forge.commitOf(target, sha);

    expect(api.isDone()).toBe(true);
    expect(commit).toEqual({ title: 'Add checkout', author: 'octocat' });
  });
});
