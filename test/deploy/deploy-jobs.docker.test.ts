import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeArchive } from '../helpers/archive.js';
import { fakeSha, registry, uniqueName } from '../helpers/docker-lab.js';
import { fakeGitlab, type ForgeRecord } from '../helpers/fake-forges.js';
import { fakeSlack, SLACK_API_URL } from '../helpers/fake-slack.js';
import { gitlabPush } from '../helpers/forge-payloads.js';
import { buttonClick, SLACK_SIGNING_SECRET, SLACK_TEAM_ID, slashCommand } from '../helpers/slack-requests.js';
import { asAdmin, GITLAB_URL, PUBLIC_URL, postGitlab, startTestService, type TestService } from '../helpers/test-service.js';
import { waitFor } from '../helpers/wait-for.js';
import { environmentRepository } from '../../src/registry/project-repositories.js';
import { createProjectVariableStore } from '../../src/store/project-variable-store.js';
import { createVariableCipher } from '../../src/variables/variable-cipher.js';

/**
 * The article's pipeline (test, build, deploy), on images of the lab: the deploy job names its
 * environment and is `when: manual`, as teams write it for GitLab's Play button; `publish`
 * sits in the deploy stage with no environment, so it runs for whichever environment is named.
 * Each commit's image differs by a label, so the environment tag shows which one went out.
 */
const pipelineFile = (deployLine: string) => `image: busybox
stages: [test, build, deploy]
test:
  stage: test
  script:
    - echo "TESTED=tested-$CI_COMMIT_SHORT_SHA" > test.env
    - echo "report of $CI_COMMIT_SHORT_SHA" > report.txt
  artifacts:
    paths: [report.txt]
    reports: { dotenv: test.env }
build:
  stage: build
  image: docker
  script:
    - docker login -u gitlab-ci-token -p "$CI_JOB_TOKEN" "$CI_REGISTRY"
    - printf 'FROM busybox\\nLABEL commit=%s\\n' "$CI_COMMIT_SHA" | docker build -q -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA" -
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA"
deploy:
  stage: deploy
  when: manual
  environment:
    name: prod
    url: https://$CI_ENVIRONMENT_SLUG.example.test
  script:
    - echo 'Just for deploy.'
    - echo "Deploying $SLIPWAY_DEPLOY_IMAGE to $CI_ENVIRONMENT_NAME ($CI_ENVIRONMENT_SLUG, $CI_ENVIRONMENT_TIER, $CI_ENVIRONMENT_ACTION) at $CI_ENVIRONMENT_URL"
    - echo "with $PROD_TOKEN, $TESTED and the $(cat report.txt)"
    - ${deployLine}
publish:
  stage: deploy
  script: [echo "publishing $CI_COMMIT_SHORT_SHA for $CI_ENVIRONMENT_NAME at $CI_ENVIRONMENT_URL with $STAGING_ONLY"]
stop_prod:
  stage: deploy
  when: manual
  environment: { name: prod, action: stop }
  script: [echo "stopping $CI_ENVIRONMENT_NAME ($CI_ENVIRONMENT_ACTION) that ran $SLIPWAY_DEPLOY_IMAGE"]
`;

interface PageJob {
  name: string;
  status: string;
  log: string;
}

describe('the pipeline file’s deploy jobs, run by an approved /deploy', () => {
  const project = uniqueName('slipway-test/deploy-jobs');
  // GitLab gives a project five archives a minute, and every pipeline, deploys too, fetches one:
  // the rollback's four pipelines are another project's.
  const rolledBack = uniqueName('slipway-test/rollback-jobs');
  const stopped = uniqueName('slipway-test/stop-jobs');
  const archives = new Map<string, Buffer>();
  const secretKey = randomBytes(32);
  let service: TestService;
  let slack: ReturnType<typeof fakeSlack>;
  let gitlab: ForgeRecord;
  let policyDir: string;
  const commits: Record<'a' | 'broken', { sha: string; pipelineId: number; digest: string }> = {} as never;

  const push = async (deployLine: string, to = project) => {
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(undefined, { '.gitlab-ci.yml': pipelineFile(deployLine) }));
    const response = await postGitlab(service.base, 'Push Hook', gitlabPush({ project: to, sha }));
    const { pipelineId } = (await response.json()) as { pipelineId: number };
    const row = await waitFor(`pipeline #${pipelineId} to finish`, async () => {
      const { rows } = await service.db.query<{ status: string; image_digest: string | null }>('SELECT status, image_digest FROM pipelines WHERE id = $1', [pipelineId]);
      return ['passed', 'failed', 'error', 'blocked'].includes(rows[0]?.status ?? '') && rows[0]!;
    });
    expect(row.status).toBe('passed');
    return { sha, pipelineId, digest: row.image_digest! };
  };
  const deploy = async (text: string) => {
    const answer = (await (await slashCommand(service.base, 'UREQUESTER', text)).json()) as { text: string };
    expect(answer.text).toMatch(/^Asked for approval of (deploy|rollback|stop) request #\d+\.$/);
    const id = Number(/#(\d+)/.exec(answer.text)![1]);
    await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(id));
    return waitFor(`deployment #${id} to finish`, async () => {
      const { rows } = await service.db.query<{ id: number; status: string; error: string | null; job_pipeline_id: number | null }>(
        'SELECT id, status, error, job_pipeline_id FROM deployments WHERE id = $1',
        [id],
      );
      return ['succeeded', 'failed'].includes(rows[0]?.status ?? '') && rows[0]!;
    });
  };
  const pageOf = async (id: number) => (await (await fetch(`${service.base}/api/pipelines/${id}`, { headers: asAdmin })).json()) as { sha: string; status: string; jobs: PageJob[] };
  const tagOf = async (environment: string, of = project) => (await registry.getManifest(environmentRepository(of), environment))?.digest ?? null;

  beforeAll(async () => {
    policyDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-policy-'));
    const policyFile = path.join(policyDir, 'slipway.yml');
    await writeFile(
      policyFile,
      [
        'projects:',
        `  ${project}:`,
        '    environments:',
        // No action named: the file's deploy job for prod is the action.
        '      prod: { approvers: [UAPPROVER] }',
        '      staging: { approvers: [UAPPROVER], action: { type: job }, url: https://staging.example.test }',
        `  ${rolledBack}:`,
        '    environments:',
        '      prod: { approvers: [UAPPROVER] }',
        `  ${stopped}:`,
        '    environments:',
        '      prod: { approvers: [UAPPROVER] }',
      ].join('\n'),
    );
    slack = fakeSlack();
    gitlab = fakeGitlab(GITLAB_URL, archives).record;
    service = await startTestService({ SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET, SLACK_TEAM_ID, SLACK_API_URL, SLIPWAY_CONFIG: policyFile, SLIPWAY_SECRET_KEY: secretKey.toString('base64') });
    const variables = createProjectVariableStore(service.db, createVariableCipher(secretKey));
    await variables.set(project, { name: 'PROD_TOKEN', value: 'prod-token-value', environment: 'prod', masked: true, protected: true, file: false });
    await variables.set(project, { name: 'STAGING_ONLY', value: 'staging-value', environment: 'staging', masked: false, protected: false, file: false });
    commits.a = await push('echo "deployed the file of $CI_COMMIT_SHORT_SHA"');
  });

  afterAll(async () => {
    await service?.stop();
    if (policyDir) await rm(policyDir, { recursive: true, force: true });
  });

  it('runs the deploy job after promotion, with the environment, its variables, the digest and what the tests left; the tested pipeline stays as it was', async () => {
    const tested = await pageOf(commits.a.pipelineId);
    expect(tested.jobs.map((job) => [job.name, job.status])).toEqual([
      ['test', 'passed'],
      ['build', 'passed'],
      ['deploy', 'skipped'],
      ['publish', 'skipped'],
      ['stop_prod', 'skipped'],
    ]);
    await waitFor('the tested pipeline’s success status', () => gitlab.statuses.some((status) => status.sha === commits.a.sha && status.state === 'success'));
    const statusesBefore = gitlab.statuses.filter((status) => status.sha === commits.a.sha && status.name !== 'slipway/deploy/prod').length;

    const finished = await deploy(`${commits.a.sha.slice(0, 10)} prod`);
    const page = await pageOf(finished.job_pipeline_id!);
    const job = page.jobs.find((each) => each.name === 'deploy')!;

    expect([finished.status, finished.error]).toEqual(['succeeded', null]);
    expect(await tagOf('prod')).toBe(commits.a.digest);
    expect(page.sha).toBe(commits.a.sha);
    // Only the deploy job runs; what it waits for stands as the tested pipeline left it.
    expect(page.jobs.map((each) => [each.name, each.status])).toEqual([
      ['test', 'passed'],
      ['build', 'passed'],
      ['deploy', 'passed'],
    ]);
    expect(job.log).toContain('Just for deploy.');
    expect(job.log).toContain(`Deploying 127.0.0.1:5000/${project}@${commits.a.digest} to prod (prod, production, start) at https://prod.example.test`);
    // The environment's masked, protected variable reaches it (the default branch is protected), masked.
    expect(job.log).toContain(`with [masked], tested-${commits.a.sha.slice(0, 8)} and the report of ${commits.a.sha.slice(0, 8)}`);
    expect(job.log).not.toContain('prod-token-value');
    expect(job.log).toContain(`deployed the file of ${commits.a.sha.slice(0, 8)}`);
    // The commit's status and comment stay the tested pipeline's: the deploy reports as a deployment.
    expect(gitlab.statuses.filter((status) => status.sha === commits.a.sha && status.name !== 'slipway/deploy/prod')).toHaveLength(statusesBefore);
    const done = await waitFor('the Slack update', () => slack.of('chat.update').find((call) => call.args.text?.startsWith(':white_check_mark: Done: deploy') && call.args.blocks?.includes(`pipeline #${finished.job_pipeline_id}`)));
    expect(done.args.blocks).toContain(`${PUBLIC_URL}/pipelines/${finished.job_pipeline_id}|deploy job log: pipeline #${finished.job_pipeline_id}`);
    // The environments page says what deployed it, and links the deploy job's log.
    const { environments } = (await (await fetch(`${service.base}/api/environments`, { headers: asAdmin })).json()) as { environments: Array<{ project: string; environment: string; current: { jobPipelineId: number | null } | null }> };
    expect(environments.find((each) => each.project === project && each.environment === 'prod')?.current?.jobPipelineId).toBe(finished.job_pipeline_id);
    // Deploying again goes through /deploy and its approval, never through Retry.
    const retried = await fetch(`${service.base}/api/pipelines/${finished.job_pipeline_id}/retry`, { method: 'POST', headers: asAdmin });
    expect([retried.status, await retried.json()]).toEqual([409, { error: `pipeline #${finished.job_pipeline_id} ran a deployment's deploy jobs: deploy again with /deploy, which asks for approval` }]);
    const audit = await service.db.query<{ detail: { outcome: string } }>(`SELECT detail FROM audit_events WHERE deployment_id = $1 AND action = 'deployed'`, [finished.id]);
    expect(audit.rows[0]?.detail.outcome).toBe(`the deploy job deploy passed in pipeline #${finished.job_pipeline_id}`);
  });

  it('runs a deploy-stage job that names no environment for the environment /deploy names, with that environment’s variables', async () => {
    const finished = await deploy(`${commits.a.sha.slice(0, 10)} staging`);
    const page = await pageOf(finished.job_pipeline_id!);

    expect(finished.status).toBe('succeeded');
    expect(page.jobs.map((each) => [each.name, each.status])).toEqual([
      ['test', 'passed'],
      ['build', 'passed'],
      ['publish', 'passed'],
    ]);
    // The policy's URL for the environment; its own variable, and none of prod's.
    expect(page.jobs.find((each) => each.name === 'publish')!.log).toContain(`publishing ${commits.a.sha.slice(0, 8)} for staging at https://staging.example.test with staging-value`);
    expect(await tagOf('staging')).toBe(commits.a.digest);
    // Its file stops prod but not staging: nothing could stop it.
    const stop = (await (await slashCommand(service.base, 'UREQUESTER', 'stop staging')).json()) as { text: string };
    expect(stop.text).toBe(`Not stopping: the pipeline file of ${commits.a.sha.slice(0, 12)}, which staging runs, has no job that stops it: add one with environment: {name: staging, action: stop}, and deploy that commit first`);
  });

  it('puts the environment tag back when the deploy job fails, and says which job failed', async () => {
    commits.broken = await push('exit 3');

    const finished = await deploy(`${commits.broken.sha.slice(0, 10)} prod`);
    const page = await pageOf(finished.job_pipeline_id!);

    expect(finished.status).toBe('failed');
    expect(finished.error).toBe(`the deploy job deploy failed (pipeline #${finished.job_pipeline_id})`);
    expect(page.jobs.find((each) => each.name === 'deploy')!.status).toBe('failed');
    expect(await tagOf('prod')).toBe(commits.a.digest);
    const failed = await waitFor('the Slack update', () => slack.of('chat.update').find((call) => call.args.text?.startsWith(':x: Failed to deploy') && call.args.text.includes(commits.broken.sha.slice(0, 12))));
    expect(failed.args.text).toContain(`the deploy job deploy failed (pipeline #${finished.job_pipeline_id})`);
  });

  it('runs the deploy job of the commit a rollback goes back to', async () => {
    const first = await push('echo "deployed the file of $CI_COMMIT_SHORT_SHA"', rolledBack);
    expect((await deploy(`${first.sha.slice(0, 10)} ${rolledBack}:prod`)).status).toBe('succeeded');
    const second = await push('echo "deployed the file of $CI_COMMIT_SHORT_SHA, the second"', rolledBack);
    expect((await deploy(`${second.sha.slice(0, 10)} ${rolledBack}:prod`)).status).toBe('succeeded');
    expect(await tagOf('prod', rolledBack)).toBe(second.digest);

    const back = await deploy(`rollback ${rolledBack}:prod`);
    const page = await pageOf(back.job_pipeline_id!);

    expect(back.status).toBe('succeeded');
    expect(await tagOf('prod', rolledBack)).toBe(first.digest);
    expect(page.sha).toBe(first.sha);
    const log = page.jobs.find((each) => each.name === 'deploy')!.log;
    expect(log).toContain(`deployed the file of ${first.sha.slice(0, 8)}`);
    expect(log).not.toContain('the second');
  });

  it('stops an environment with /deploy stop: the stop job of the commit it runs, after approval, moving no tag; then nothing runs there to roll back', async () => {
    const ask = async (text: string) => ((await (await slashCommand(service.base, 'UREQUESTER', text)).json()) as { text: string }).text;
    expect(await ask(`stop ${stopped}:prod`)).toBe('Not stopping: nothing has been deployed to prod yet, so there is nothing to stop');
    const running = await push('echo "deployed the file of $CI_COMMIT_SHORT_SHA"', stopped);
    expect((await deploy(`${running.sha.slice(0, 10)} ${stopped}:prod`)).status).toBe('succeeded');

    const stop = await deploy(`stop ${stopped}:prod`);
    const page = await pageOf(stop.job_pipeline_id!);

    expect([stop.status, stop.error]).toEqual(['succeeded', null]);
    expect(page.jobs.map((each) => [each.name, each.status])).toEqual([
      ['test', 'passed'],
      ['build', 'passed'],
      ['stop_prod', 'passed'],
    ]);
    expect(page.jobs.find((each) => each.name === 'stop_prod')!.log).toContain(`stopping prod (stop) that ran 127.0.0.1:5000/${stopped}@${running.digest}`);
    expect(await tagOf('prod', stopped)).toBe(running.digest);
    const done = await waitFor('the Slack update', () => slack.of('chat.update').find((call) => call.args.text?.startsWith(`:white_check_mark: Done: stop *prod* of *${stopped}*`)));
    expect(done.args.blocks).toContain(`stop job log: pipeline #${stop.job_pipeline_id}`);
    expect(await ask(`status ${stopped}:prod`)).toMatch(new RegExp(`^\\*${stopped}:prod\\*: stopped since .* \\(it ran \`${running.sha.slice(0, 12)}\`\\)$`));
    expect(await ask(`stop ${stopped}:prod`)).toBe(`Not stopping: prod was already stopped (request #${stop.id}): deploy a commit to start it again`);
    expect(await ask(`rollback ${stopped}:prod`)).toBe(`Not deploying: prod was stopped (request #${stop.id}), so nothing runs there to roll back: deploy the commit you want with /deploy <sha> prod`);
  });
});
