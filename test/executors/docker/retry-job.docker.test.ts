import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeArchive } from '../../helpers/archive.js';
import { fakeSha, uniqueName } from '../../helpers/docker-lab.js';
import { fakeGitlab } from '../../helpers/fake-forges.js';
import { gitlabPush } from '../../helpers/forge-payloads.js';
import { asAdmin, GITLAB_URL, postGitlab, startTestService, type TestService } from '../../helpers/test-service.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * `flaky` fails in the first pipeline and passes in its retry: it reads the pipeline's number,
 * which is odd for the first pipeline of a fresh database and even for the next.
 */
const FILE = `image: busybox
stages: [build, test, report]
build:
  stage: build
  script:
    - mkdir -p dist && echo "built in pipeline $CI_PIPELINE_ID" > dist/app.txt
    - echo "VERSION=1.0.$CI_PIPELINE_ID" > build.env
  artifacts:
    paths: [dist/]
    reports:
      dotenv: build.env
flaky:
  stage: test
  needs: [build]
  script:
    - cat dist/app.txt
    - echo "testing version $VERSION"
    - test $((CI_PIPELINE_ID % 2)) -eq 0
steady:
  stage: test
  needs: []
  script: [echo steady in $CI_PIPELINE_ID]
report:
  stage: report
  needs: [flaky]
  script: [echo report after flaky]
`;

interface PageJob {
  id: number;
  name: string;
  status: string;
  log: string;
  artifacts: { files: number } | null;
}

describe('retrying one failed job', () => {
  let lab: TestService;
  const archives = new Map<string, Buffer>();
  beforeAll(async () => {
    fakeGitlab(GITLAB_URL, archives);
    lab = await startTestService();
  });
  afterAll(async () => {
    await lab?.stop();
  });

  const finished = async (id: number) => {
    await waitFor(`pipeline #${id} to finish`, async () => {
      const { rows } = await lab.db.query<{ status: string }>('SELECT status FROM pipelines WHERE id = $1', [id]);
      return ['passed', 'failed', 'canceled', 'error'].includes(rows[0]?.status ?? '');
    });
    const page = (await (await fetch(`${lab.base}/api/pipelines/${id}`, { headers: asAdmin })).json()) as { status: string; jobs: PageJob[] };
    return { ...page, job: (name: string) => page.jobs.find((job) => job.name === name)! };
  };

  it('runs that job and what waits for it again, and keeps the other jobs’ results and artifacts', async () => {
    const project = uniqueName('slipway-test/retry');
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(undefined, { '.gitlab-ci.yml': FILE }));
    const accepted = (await (await postGitlab(lab.base, 'Push Hook', gitlabPush({ project, sha, ref: 'main' }))).json()) as { pipelineId: number };
    const first = await finished(accepted.pipelineId);
    const passedJob = await fetch(`${lab.base}/api/pipelines/${accepted.pipelineId}/jobs/${first.job('build').id}/retry`, { method: 'POST', headers: asAdmin });
    const retry = await fetch(`${lab.base}/api/pipelines/${accepted.pipelineId}/jobs/${first.job('flaky').id}/retry`, { method: 'POST', headers: asAdmin });
    const { pipelineId } = (await retry.json()) as { pipelineId: number };
    const second = await finished(pipelineId);

    expect(accepted.pipelineId % 2).toBe(1);
    expect([first.status, first.job('flaky').status, first.job('report').status]).toEqual(['failed', 'failed', 'skipped']);
    expect([passedJob.status, await passedJob.json()]).toEqual([409, { error: `build did not fail in pipeline #${accepted.pipelineId}: only a failed or canceled job is retried alone` }]);
    expect(retry.status).toBe(201);
    expect(second.status).toBe('passed');
    expect(second.jobs.map((job) => [job.name, job.status])).toEqual([
      ['build', 'passed'],
      ['flaky', 'passed'],
      ['steady', 'passed'],
      ['report', 'passed'],
    ]);
    // Kept: not run again, with its artifacts and dotenv as the first pipeline made them.
    expect(second.job('build').log).toBe(`Not run again: the result of pipeline #${accepted.pipelineId}, which this one retries.\n`);
    expect(second.job('steady').log).toContain(`Not run again: the result of pipeline #${accepted.pipelineId}`);
    expect(second.job('build').artifacts).toMatchObject({ files: 1 });
    expect(second.job('flaky').log).toContain(`built in pipeline ${accepted.pipelineId}`);
    expect(second.job('flaky').log).toContain(`testing version 1.0.${accepted.pipelineId}`);
    expect(second.job('report').log).toContain('report after flaky');
  });
});
