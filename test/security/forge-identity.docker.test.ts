import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeSha, uniqueName } from '../helpers/docker-lab.js';
import { fakeGitlab } from '../helpers/fake-forges.js';
import { gitlabMergeRequest, gitlabNote, gitlabPush } from '../helpers/forge-payloads.js';
import { breakProject, gitlabProject } from '../helpers/gitlab-world.js';
import { forgeProtectedRefs } from '../../src/model/ref-patterns.js';
import { isProtectedRef } from '../../src/variables/choose-variables.js';
import { asAdmin, gitlabSecretFor, postGitlab, startTestService, type TestService } from '../helpers/test-service.js';
import { runCli } from '../helpers/cli.js';

const DEVELOPER = { id: 41, username: 'dev-dan' };
const REPORTER = { id: 42, username: 'rep-rae' };

describe('GitLab hooks are believed only as far as GitLab confirms them', () => {
  let lab: TestService;

  const pipelinesOf = async (project: string) =>
    (await lab.db.query<{ id: string; ref: string; default_branch: string; from_fork: boolean }>('SELECT id, ref, default_branch, from_fork FROM pipelines WHERE project = $1 ORDER BY id', [project])).rows;
  const refusedAudits = async () => (await lab.db.query<{ project: string; detail: { reason: string } }>(`SELECT project, detail FROM audit_events WHERE action = 'webhook.refused' ORDER BY id`)).rows;

  beforeAll(async () => {
    fakeGitlab('https://gitlab.slipway.test', new Map());
    lab = await startTestService({}, { workers: false, deploys: false });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('refuses a push naming another project’s path with its own project id, records nothing and audits it', async () => {
    const victim = uniqueName('acme/payments');
    const attacker = gitlabProject(uniqueName('mallory/tools'));
    gitlabProject(victim);
    const hook = gitlabPush({ project: attacker.path_with_namespace, sha: fakeSha(), ref: 'main' });
    hook.project.path_with_namespace = victim;

    const response = await postGitlab(lab.base, 'Push Hook', hook);

    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toBe(`the hook names project ${victim}, but GitLab's project ${attacker.id} is ${attacker.path_with_namespace}`);
    expect(await pipelinesOf(victim)).toEqual([]);
    expect(await pipelinesOf(attacker.path_with_namespace)).toEqual([]);
    expect((await refusedAudits()).find((row) => row.project === victim)?.detail.reason).toContain(`GitLab's project ${attacker.id} is ${attacker.path_with_namespace}`);
  });

  it('refuses a project id GitLab does not know', async () => {
    const hook = gitlabPush({ project: uniqueName('ghost/app'), sha: fakeSha() });
    hook.project.id = hook.project_id = 987_654_321;

    const response = await postGitlab(lab.base, 'Push Hook', hook);

    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toMatch(/^GitLab has no project 987654321 that Slipway's token can see/);
  });

  it('runs nothing for a commit the branch does not point at', async () => {
    const project = uniqueName('acme/shop');
    gitlabPush({ project, sha: fakeSha(), ref: 'main' });
    const stray = gitlabPush({ project, sha: fakeSha(), ref: 'other' });
    stray.ref = 'refs/heads/main';

    const response = await postGitlab(lab.base, 'Push Hook', stray);
    const answer = (await response.json()) as { outcome: string; reason: string };

    expect(response.status).toBe(202);
    expect(answer.outcome).toBe('ignored');
    expect(answer.reason).toMatch(new RegExp(`^branch main of ${project} points at [0-9a-f]{12} on GitLab, not ${stray.after.slice(0, 12)}`));
    expect(await pipelinesOf(project)).toEqual([]);
  });

  it('takes the default branch from GitLab, not from the hook', async () => {
    const project = uniqueName('acme/site');
    gitlabProject(project, { defaultBranch: 'main' });
    const hook = gitlabPush({ project, sha: fakeSha(), ref: 'feature/x' });
    // Claiming the pushed branch is the default would make it protected: its pipeline would get protected variables.
    hook.project.default_branch = 'feature/x';

    const response = await postGitlab(lab.base, 'Push Hook', hook);

    expect(response.status).toBe(202);
    expect(await pipelinesOf(project)).toEqual([expect.objectContaining({ ref: 'feature/x', default_branch: 'main', from_fork: false })]);
  });

  it('takes the protected branches from GitLab’s settings, whatever the hook says', async () => {
    const project = uniqueName('acme/releases');
    gitlabProject(project, { defaultBranch: 'main', protectedBranches: ['main', 'release/*'] });

    const response = await postGitlab(lab.base, 'Push Hook', gitlabPush({ project, sha: fakeSha(), ref: 'release/1' }));
    const { rows } = await lab.db.query<{ forge_context: Record<string, string | number> }>('SELECT forge_context FROM pipelines WHERE project = $1', [project]);

    expect(response.status).toBe(202);
    expect(forgeProtectedRefs(rows[0]!.forge_context)).toEqual(['main', 'release/*']);
    expect(isProtectedRef('release/1', 'main', forgeProtectedRefs(rows[0]!.forge_context))).toBe(true);
  });

  it('records a fork’s branch named main as the fork’s, whatever the hook says of the source project', async () => {
    const project = uniqueName('acme/lib');
    const hook = gitlabMergeRequest({ project, sha: fakeSha(), iid: 5, fromFork: 'eve', sourceBranch: 'main' });
    // The hook claims the change comes from the project itself.
    hook.object_attributes.source_project_id = hook.object_attributes.target_project_id;

    const response = await postGitlab(lab.base, 'Merge Request Hook', hook);

    expect(response.status).toBe(202);
    expect(await pipelinesOf(project)).toEqual([expect.objectContaining({ ref: 'eve:main', from_fork: true })]);
  });

  it('refuses a merge request GitLab does not have, and ignores one whose head has moved on', async () => {
    const project = uniqueName('acme/api');
    const missing = gitlabMergeRequest({ project, sha: fakeSha(), iid: 6 });
    missing.object_attributes.iid = 777;
    const moved = gitlabMergeRequest({ project, sha: fakeSha(), iid: 8 });
    gitlabMergeRequest({ project, sha: fakeSha(), iid: 8, action: 'update', oldrev: moved.object_attributes.last_commit.id });

    const refused = await postGitlab(lab.base, 'Merge Request Hook', missing);
    const stale = await postGitlab(lab.base, 'Merge Request Hook', moved);

    expect([refused.status, ((await refused.json()) as { error: string }).error]).toEqual([403, `GitLab has no merge request !777 in ${project}, yet the hook names it`]);
    expect(stale.status).toBe(202);
    expect(((await stale.json()) as { reason: string }).reason).toMatch(/^merge request !8 of .* is at [0-9a-f]{12} on GitLab, not /);
    expect(await pipelinesOf(project)).toEqual([]);
  });

  it('refuses a comment command whose author GitLab names differently, and reads the command from GitLab', async () => {
    const project = uniqueName('acme/ops');
    const { id } = gitlabProject(project);
    const forged = gitlabNote({ project, projectId: id, iid: 3, note: 'looks fine', user: REPORTER });
    forged.user = { ...forged.user, id: DEVELOPER.id, username: DEVELOPER.username };
    forged.object_attributes.note = '/slipway retry';
    const edited = gitlabNote({ project, projectId: id, iid: 3, note: 'looks fine', user: DEVELOPER });
    edited.object_attributes.note = '/slipway cancel';

    const byOther = await postGitlab(lab.base, 'Note Hook', forged);
    const rewritten = await postGitlab(lab.base, 'Note Hook', edited);

    expect(byOther.status).toBe(403);
    expect(((await byOther.json()) as { error: string }).error).toBe(`the hook says user ${DEVELOPER.id} wrote note ${forged.object_attributes.id}, but GitLab says user ${REPORTER.id} did`);
    expect([rewritten.status, await rewritten.json()]).toEqual([202, { outcome: 'ignored', reason: 'the note on GitLab is not a /slipway command' }]);
  });

  it('takes one project’s webhook secret as that project’s only: a hook about another with it is refused', async () => {
    const mine = gitlabProject(uniqueName('mallory/own'));
    const theirs = uniqueName('acme/other');
    const hook = gitlabPush({ project: theirs, sha: fakeSha(), ref: 'master' });

    const response = await postGitlab(lab.base, 'Push Hook', hook, { token: await gitlabSecretFor(lab.base, mine.id) });

    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toBe(`the webhook secret is project ${mine.id}'s, but the hook is about project ${hook.project.id}: each project's webhook uses its own secret`);
    expect(await pipelinesOf(theirs)).toEqual([]);
  });

  it('issues a new secret that replaces the old one, through the API and the command, only with the admin token', async () => {
    const project = gitlabProject(uniqueName('acme/rotated'));
    const first = await gitlabSecretFor(lab.base, project.id);
    const issued = await runCli(['webhook-secret', 'gitlab', String(project.id)], { DATABASE_URL: lab.database.url });
    const replaced = issued.stdout.trim();
    const hook = () => gitlabPush({ project: project.path_with_namespace, sha: fakeSha(), ref: 'master' });
    const anonymous = await fetch(`${lab.base}/api/webhook-secrets/gitlab/${project.id}`, { method: 'POST' });
    const notAnId = await fetch(`${lab.base}/api/webhook-secrets/gitlab/acme`, { method: 'POST', headers: asAdmin });

    const withOld = await postGitlab(lab.base, 'Push Hook', hook(), { token: first });
    const withNew = await postGitlab(lab.base, 'Push Hook', hook(), { token: replaced });

    expect(issued.code).toBe(0);
    expect(replaced).toMatch(/^slpwh_[A-Za-z0-9_-]{32}$/);
    expect(issued.stderr).toContain(`Set it as the secret token of project ${project.id}'s webhook at`);
    expect(withOld.status).toBe(401);
    expect(withNew.status).toBe(202);
    expect(anonymous.status).toBe(401);
    expect([notAnId.status, ((await notAnId.json()) as { error: string }).error]).toEqual([400, "acme is not a GitLab project id: use the number on the project's overview page"]);
  });

  it('answers 503 when GitLab cannot be asked, so GitLab delivers the hook again', async () => {
    const project = uniqueName('acme/down');
    const hook = gitlabPush({ project, sha: fakeSha() });
    breakProject(hook.project.id);

    const response = await postGitlab(lab.base, 'Push Hook', hook);

    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: string }).error).toMatch(/^the forge could not be asked to confirm this hook .*; it will be delivered again$/);
    expect(await pipelinesOf(project)).toEqual([]);
  });
});

describe('a shared GitLab webhook secret', () => {
  let lab: TestService;
  const bound = gitlabProject(uniqueName('acme/single'));

  beforeAll(async () => {
    fakeGitlab('https://gitlab.slipway.test', new Map());
    lab = await startTestService({ GITLAB_WEBHOOK_SECRET: 'one-shared-secret-for-one-project', GITLAB_WEBHOOK_PROJECT_ID: String(bound.id) }, { workers: false, deploys: false });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('speaks for the one project it is bound to, and for no other', async () => {
    const other = gitlabProject(uniqueName('acme/elsewhere'));

    const ours = await postGitlab(lab.base, 'Push Hook', gitlabPush({ project: bound.path_with_namespace, sha: fakeSha(), ref: 'master' }), { token: 'one-shared-secret-for-one-project' });
    const theirs = await postGitlab(lab.base, 'Push Hook', gitlabPush({ project: other.path_with_namespace, sha: fakeSha(), ref: 'master' }), { token: 'one-shared-secret-for-one-project' });

    expect(ours.status).toBe(202);
    expect([theirs.status, ((await theirs.json()) as { error: string }).error]).toEqual([403, `the webhook secret is project ${bound.id}'s, but the hook is about project ${other.id}: each project's webhook uses its own secret`]);
  });
});
