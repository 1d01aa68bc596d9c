/** Other projects' files for include:project, through each forge's API (nock stands in for GitLab and GitHub). */
import { generateKeyPairSync } from 'node:crypto';
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { createProbot } from '../../src/forges/github/create-probot.js';
import { createGithubForge } from '../../src/forges/github/github-forge.js';
import { createGitlabForge } from '../../src/forges/gitlab/gitlab-forge.js';
import { createIncludeFetcher } from '../../src/runner/fetch-include.js';
import { createLogger } from '../../src/telemetry/logger.js';

const allowLoopback = { timeoutMs: 2_000, allowedAddresses: ['127.0.0.1'] };
afterEach(() => nock.cleanAll());

describe('include:project', () => {
  const gitlab = createGitlabForge({ url: 'https://gitlab.example.com', token: 'glpat-x' });
  const target = { forge: 'gitlab' as const, project: 'team/app', apiContext: { projectId: 7 } };
  const fetcher = (includeProjects: string[] = []) => createIncludeFetcher({ forge: gitlab, target, sha: 'c'.repeat(40), includeProjects, remote: allowLoopback });
  const project = (name: string, visibility: string) =>
    nock('https://gitlab.example.com/api/v4')
      .get(`/projects/${encodeURIComponent(name)}`)
      .reply(200, { id: 9, default_branch: 'main', visibility })
      .get(`/projects/${encodeURIComponent(name)}/repository/files/${encodeURIComponent('templates/build.yml')}/raw`)
      .query({ ref: 'main' })
      .reply(200, '.build: { script: [make] }\n');

  it('reads a public project’s file at its default branch', async () => {
    const api = project('platform/ci', 'public');
    expect(await fetcher()({ kind: 'project', project: 'platform/ci', file: 'templates/build.yml' })).toEqual({ text: '.build: { script: [make] }\n' });
    expect(api.isDone()).toBe(true);
  });

  it('reads a private one only when it is the pipeline’s own project or the policy lists it', async () => {
    project('platform/secret', 'private');
    expect(await fetcher()({ kind: 'project', project: 'platform/secret', file: 'templates/build.yml' })).toEqual({
      error: 'platform/secret is private: list it under includeProjects for team/app in SLIPWAY_CONFIG to let its pipelines include from it',
    });
    project('platform/secret', 'private');
    expect(await fetcher(['platform/secret'])({ kind: 'project', project: 'platform/secret', file: 'templates/build.yml' })).toEqual({ text: expect.any(String) });
    project('team/app', 'internal');
    expect(await fetcher()({ kind: 'project', project: 'team/app', file: 'templates/build.yml' })).toEqual({ text: expect.any(String) });
  });

  it('says what is missing when the forge has no such file', async () => {
    nock('https://gitlab.example.com/api/v4')
      .get('/projects/platform%2Fci')
      .reply(200, { id: 9, default_branch: 'main', visibility: 'public' })
      .get('/projects/platform%2Fci/repository/files/nope.yml/raw')
      .query({ ref: 'v1' })
      .reply(404, { message: '404 File Not Found' });
    expect(await fetcher()({ kind: 'project', project: 'platform/ci', ref: 'v1', file: 'nope.yml' })).toEqual({ error: expect.stringMatching(/^platform\/ci@v1 has no file nope\.yml that Slipway can read \(.+\)$/) });
  });

  it('on GitHub, reads the file raw at the default branch and knows a private repository', async () => {
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const github = createGithubForge(createProbot({ appId: '1', privateKey, webhookSecret: 'x', gheHost: 'github.example.com' }, createLogger('silent')));
    const api = nock('https://github.example.com/api/v3')
      .post('/app/installations/3/access_tokens')
      .reply(201, { token: 'ghs_x', expires_at: new Date(Date.now() + 3_600_000).toISOString() })
      .get('/repos/octo/templates')
      .reply(200, { private: true, default_branch: 'trunk' })
      .get('/repos/octo/templates/contents/ci%2Fbuild.yml')
      .query({ ref: 'trunk' })
      .reply(200, '.build: { script: [make] }\n');
    const fetch = createIncludeFetcher({ forge: github, target: { forge: 'github', project: 'octo/app', apiContext: { installationId: 3 } }, sha: 'c'.repeat(40), includeProjects: [], remote: allowLoopback });
    expect(await fetch({ kind: 'project', project: 'octo/templates', file: 'ci/build.yml' })).toEqual({ error: expect.stringContaining('octo/templates is private') });
    expect(api.isDone()).toBe(true);
  });
});

describe('the changed files rules:changes compares', () => {
  it('come from GitLab’s comparison from the merge base, both sides of a rename', async () => {
    const gitlab = createGitlabForge({ url: 'https://gitlab.example.com', token: 'glpat-x' });
    const api = nock('https://gitlab.example.com/api/v4')
      .get('/projects/7/repository/compare')
      .query({ from: 'main', to: 'c'.repeat(40), straight: 'false' })
      .reply(200, { commit: {}, diffs: [{ old_path: 'docs/old.md', new_path: 'docs/new.md' }, { old_path: 'api/app.py', new_path: 'api/app.py' }], compare_timeout: false, compare_same_ref: false });
    const fetch = createIncludeFetcher({ forge: gitlab, target: { forge: 'gitlab', project: 'team/app', apiContext: { projectId: 7 } }, sha: 'c'.repeat(40), includeProjects: [], remote: allowLoopback });
    expect(await fetch({ kind: 'changes', base: 'main' })).toEqual({ text: 'docs/new.md\ndocs/old.md\napi/app.py' });
    expect(api.isDone()).toBe(true);
  });

  it('come from GitHub’s comparison, and a failure is told, not thrown', async () => {
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const github = createGithubForge(createProbot({ appId: '1', privateKey, webhookSecret: 'x', gheHost: 'github.example.com' }, createLogger('silent')));
    nock('https://github.example.com/api/v3')
      .post('/app/installations/3/access_tokens')
      .reply(201, { token: 'ghs_x', expires_at: new Date(Date.now() + 3_600_000).toISOString() })
      .get(`/repos/octo/app/compare/${'b'.repeat(40)}...${'c'.repeat(40)}`)
      .query({ per_page: '100', page: '1' })
      .reply(200, { files: [{ filename: 'src/a.ts' }, { filename: 'src/b.ts', previous_filename: 'src/old-b.ts' }] })
      .get(`/repos/octo/app/compare/main...${'c'.repeat(40)}`)
      .query(true)
      .reply(404, { message: 'Not Found' });
    const fetch = createIncludeFetcher({ forge: github, target: { forge: 'github', project: 'octo/app', apiContext: { installationId: 3 } }, sha: 'c'.repeat(40), includeProjects: [], remote: allowLoopback });
    expect(await fetch({ kind: 'changes', base: 'b'.repeat(40) })).toEqual({ text: 'src/a.ts\nsrc/b.ts\nsrc/old-b.ts' });
    expect(await fetch({ kind: 'changes', base: 'main' })).toEqual({ error: expect.stringContaining('Not Found') });
  });
});
