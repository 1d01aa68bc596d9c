import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeArchive } from '../helpers/archive.js';
import { EXAMPLE, fakeSha, uniqueName } from '../helpers/docker-lab.js';
import { fakeGitlab } from '../helpers/fake-forges.js';
import { gitlabMergeRequest, gitlabPush } from '../helpers/forge-payloads.js';
import { gitlabProject } from '../helpers/gitlab-world.js';
import { GITLAB_URL, gitlabSecretFor, pipelineRow, postGitlab, startTestService, type TestService } from '../helpers/test-service.js';
import { waitFor } from '../helpers/wait-for.js';

const ADMIN_TOKEN = randomBytes(24).toString('hex');
const MASKED = `masked-${randomBytes(10).toString('hex')}`;
const PROTECTED = `protected-${randomBytes(6).toString('hex')}`;
const FILE_CONTENT = `[settings]\nkey = ${randomBytes(6).toString('hex')}\n`;

/** Prints every variable the job may or may not have, then fails so the comment shows the log's end. */
const PIPELINE = `test:
  image: busybox
  services: [redis:7]
  variables:
    PLAIN: from-the-file
  script:
    - echo "masked=$MASKED_TOKEN"
    - echo "protected=[$PROTECTED_VALUE]"
    - echo "plain=[$PLAIN]"
    - echo "prod-only=[$PROD_ONLY]"
    - echo "missing=[$NOT_A_VARIABLE]"
    - echo "sha=$CI_COMMIT_SHA"
    - 'if [ -n "$SETTINGS_FILE" ]; then echo "file at $SETTINGS_FILE"; cat "$SETTINGS_FILE"; fi'
    - exit 1
build: false
`;

describe('CI/CD variables given to pipelines', () => {
  let lab: TestService;
  let gitlab: ReturnType<typeof fakeGitlab>;
  const archives = new Map<string, Buffer>();
  const project = uniqueName('slipway-test/variables');
  const api = (path: string, init: RequestInit & { token?: string | null } = {}) =>
    fetch(`${lab.base}/api/projects/${encodeURIComponent(project)}/variables${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...(init.token === null ? {} : { authorization: `Bearer ${init.token ?? ADMIN_TOKEN}` }) },
    });
  const put = (name: string, body: unknown) => api(`/${name}`, { method: 'PUT', body: JSON.stringify(body) });

  beforeAll(async () => {
    gitlab = fakeGitlab(GITLAB_URL, archives);
    lab = await startTestService({ SLIPWAY_SECRET_KEY: randomBytes(32).toString('base64'), SLIPWAY_ADMIN_TOKEN: ADMIN_TOKEN });
    for (const [name, body] of Object.entries({
      MASKED_TOKEN: { value: MASKED, masked: true },
      PROTECTED_VALUE: { value: PROTECTED, protected: true },
      // A project variable overrides the file's own.
      PLAIN: { value: 'from-the-project' },
      PROD_ONLY: { value: 'only-for-deploys', environment: 'prod' },
      SETTINGS_FILE: { value: FILE_CONTENT, file: true },
      CI_COMMIT_SHA: { value: 'not-allowed' },
    })) {
      const response = await put(name, body);
      expect(response.status, name).toBe(name === 'CI_COMMIT_SHA' ? 400 : 200);
    }
  });
  afterAll(async () => {
    await lab?.stop();
  });

  /** Runs the pipeline of one webhook to its end; returns its log, page, last comment and every text stored of it. */
  async function run(payload: { kind: 'push' | 'mr'; ref?: string; fromFork?: boolean; iid?: number }) {
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(EXAMPLE, { '.slipway.yml': PIPELINE }));
    const response =
      payload.kind === 'push'
        ? await postGitlab(lab.base, 'Push Hook', gitlabPush({ project, sha, ref: payload.ref }), { token: await gitlabSecretFor(lab.base, gitlabProject(project).id, ADMIN_TOKEN) })
        : await postGitlab(lab.base, 'Merge Request Hook', gitlabMergeRequest({ project, sha, iid: payload.iid, fromFork: payload.fromFork }), { token: await gitlabSecretFor(lab.base, gitlabProject(project).id, ADMIN_TOKEN) });
    const { pipelineId } = (await response.json()) as { pipelineId: number };
    await waitFor('the pipeline to end', async () => (await pipelineRow(lab.db, pipelineId)).status === 'failed');
    const { rows } = await lab.db.query<{ content: string }>(
      `SELECT string_agg(c.content, '' ORDER BY c.seq) AS content FROM job_log_chunks c JOIN jobs j ON j.id = c.job_id WHERE j.pipeline_id = $1`,
      [pipelineId],
    );
    const stored = await lab.db.query<{ text: string }>(
      `SELECT concat_ws(' ', p::text, (SELECT string_agg(j::text, ' ') FROM jobs j WHERE j.pipeline_id = p.id), (SELECT string_agg(a::text, ' ') FROM audit_events a)) AS text FROM pipelines p WHERE p.id = $1`,
      [pipelineId],
    );
    const page = await (await fetch(`${lab.base}/pipelines/${pipelineId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    return { sha, log: rows[0]!.content, page, stored: stored.rows[0]!.text, pipelineId };
  }

  it('masks a masked value in the log, the page, the comment and the database; keeps protected ones from a feature branch; writes file ones to a file', async () => {
    const { log, page, stored, pipelineId } = await run({ kind: 'mr', iid: 31 });
    const comment = await waitFor('the failed comment', () => {
      const body = gitlab.record.comments.get(31)?.at(-1)?.body ?? '';
      return body.includes('pipeline failed') && body.includes(`/pipelines/${pipelineId}`) && body;
    });

    expect(log).toContain('masked=[masked]');
    expect(log).toContain('protected=[]');
    expect(log).toContain('plain=[from-the-project]');
    expect(log).toContain('prod-only=[]');
    expect(log).toContain('missing=[]');
    expect(log).not.toContain('sha=not-allowed');
    expect(log).toMatch(/file at \/workspace\.tmp\/SETTINGS_FILE\n\[settings\]\nkey = [0-9a-f]{12}\n/);
    expect(comment).toContain('masked=[masked]');
    expect(page).toContain('masked=[masked]');
    // The service's own output, kept under its job.
    expect(page).toMatch(/<details class="service"><summary>Service redis \(<code>redis:7<\/code>\)<\/summary><pre class="log counted">[^]*Ready to accept connections/);
    for (const text of [log, comment, page, stored, ...gitlab.record.bodies]) {
      expect(text).not.toContain(MASKED);
      expect(text).not.toContain(PROTECTED);
    }
  });

  it('gives protected values to the default branch', async () => {
    const { log } = await run({ kind: 'push', ref: 'master' });
    expect(log).toContain(`protected=[${PROTECTED}]`);
    expect(log).toContain('masked=[masked]');
  });

  it('gives a fork’s pipeline no project variable at all', async () => {
    const { log } = await run({ kind: 'mr', iid: 32, fromFork: true });
    expect(log).toContain('masked=\n');
    expect(log).toContain('protected=[]');
    expect(log).toContain('plain=[from-the-file]');
    expect(log).not.toMatch(/^file at /m);
  });

  it('answers the variables API only with the admin token, never with a value, and names a bad field', async () => {
    const listed = await api('');
    const body = await listed.text();
    expect(listed.status).toBe(200);
    expect(JSON.parse(body).variables.map((variable: { name: string; environment: string }) => `${variable.name}@${variable.environment}`)).toEqual([
      'MASKED_TOKEN@',
      'PLAIN@',
      'PROD_ONLY@prod',
      'PROTECTED_VALUE@',
      'SETTINGS_FILE@',
    ]);
    expect(body).not.toContain(MASKED);

    const anonymous = await api('', { token: null });
    expect([anonymous.status, await anonymous.json()]).toEqual([401, { error: 'send the admin token as Authorization: Bearer <SLIPWAY_ADMIN_TOKEN>' }]);
    expect((await api('', { token: 'x'.repeat(48) })).status).toBe(401);
    const badBody = await put('TOKEN', { value: 'secret-value-123', masked: 'yes' });
    expect([badBody.status, await badBody.json()]).toEqual([400, { error: 'masked must be true or false' }]);
    const unknown = await put('TOKEN', { value: 'secret-value-123', scope: 'prod' });
    expect(await unknown.json()).toEqual({ error: 'unknown field scope: use value, masked, protected, file and environment' });
    const short = await put('TOKEN', { value: 'short', masked: true });
    expect(await short.json()).toEqual({ error: 'a masked value must be at least 8 characters: TOKEN is shorter (store it without --masked, or use a longer value)' });
    expect((await api('/PROD_ONLY?environment=prod', { method: 'DELETE' })).status).toBe(204);
    expect(await (await api('/PROD_ONLY?environment=prod', { method: 'DELETE' })).json()).toEqual({ error: `${project} has no variable PROD_ONLY for environment prod` });
  });
});
