import { describe, expect, it } from 'vitest';
import { predefinedVariables } from '../../../src/pipeline/predefined-variables.js';
import { parseGitlabCiFile } from '../../../src/pipeline/read/gitlab-ci/read-gitlab-ci.js';
import { runPipeline, type PipelineRun, type ReusedJob } from '../../../src/pipeline/run/engine.js';
import { FakeExecutor } from '../../helpers/fake-executor.js';
import { exampleFacts } from '../../helpers/example-facts.js';

// Jobs that wait for a person (`when: manual`) or a clock (`when: delayed`), by GitLab's rules,
// against an executor that runs nothing.

const facts = exampleFacts({ id: '52' });

async function run(yaml: string, settings: Partial<PipelineRun> = {}, executor = new FakeExecutor()) {
  const plan = parseGitlabCiFile(`image: debian:bookworm\n${yaml}`, predefinedVariables(facts));
  const finished: string[] = [];
  const result = await runPipeline({ facts, sourceDir: '/nonexistent', plan, pushAllowed: true, secrets: [], jobTimeoutMs: 60_000, ...settings }, executor, {
    jobFinished: (job, outcome) => void finished.push(`${outcome.status} ${job.name}`),
  });
  const statuses = Object.fromEntries(result.jobs.map((job) => [job.name, job.error === undefined ? job.status : `${job.status}: ${job.error}`]));
  return { result, statuses, started: executor.names('start'), finished, executor };
}

const STAGES = 'stages: [build, review, release]\n';

describe('manual jobs', () => {
  it('lets later stages run past a manual job that may fail (GitLab’s default), and the pipeline passes', async () => {
    const { result, statuses, started } = await run(`${STAGES}build: { stage: build, script: [b] }
review: { stage: review, when: manual, script: [r] }
release: { stage: release, script: [x] }
`);
    expect(statuses).toEqual({ build: 'passed', review: 'manual: waits for a person to play it', release: 'passed' });
    expect(started).toEqual(['build', 'release']);
    expect(result.status).toBe('passed');
  });

  it('holds later stages behind a blocking manual job (allow_failure: false) and blocks the pipeline', async () => {
    const { result, statuses, started } = await run(`${STAGES}build: { stage: build, script: [b] }
review: { stage: review, when: manual, allow_failure: false, script: [r] }
release: { stage: release, script: [x] }
after-release: { stage: .post, script: [y] }
`);
    expect(statuses).toEqual({
      build: 'passed',
      review: 'manual: waits for a person to play it',
      release: 'created: waits for review',
      'after-release': 'created: waits for review',
    });
    expect(started).toEqual(['build']);
    expect(result.status).toBe('blocked');
  });

  it('makes a manual job chosen by rules blocking, as GitLab does', async () => {
    const { result, statuses } = await run(`${STAGES}review: { stage: review, rules: [{ when: manual }], script: [r] }
release: { stage: release, script: [x] }
`);
    expect(statuses).toEqual({ review: 'manual: waits for a person to play it', release: 'created: waits for review' });
    expect(result.status).toBe('blocked');
  });

  it('holds a job that needs a manual job even when the manual job may fail, and only that one', async () => {
    const { result, statuses, started } = await run(`${STAGES}review: { stage: review, when: manual, script: [r] }
deploy-review: { stage: release, needs: [review], script: [d] }
lint: { stage: release, needs: [], script: [l] }
`);
    expect(statuses).toEqual({ review: 'manual: waits for a person to play it', 'deploy-review': 'created: waits for review', lint: 'passed' });
    expect(started).toEqual(['lint']);
    expect(result.status).toBe('blocked');
  });

  it('skips a manual job after an earlier failure, as an on_success job is skipped', async () => {
    const executor = new FakeExecutor().script('build', { exitCode: 1 });
    const { result, statuses } = await run(`${STAGES}build: { stage: build, script: [b] }
review: { stage: review, when: manual, allow_failure: false, script: [r] }
`, {}, executor);
    expect(statuses).toEqual({ build: 'failed: the script exited with code 1', review: 'skipped: skipped because build failed' });
    expect(result.status).toBe('failed');
  });

  it('runs a played manual job with what the jobs before it left, and then what waited for it', async () => {
    const yaml = `${STAGES}build: { stage: build, script: [b] }
review: { stage: review, when: manual, allow_failure: false, script: [r] }
release: { stage: release, script: [x] }
`;
    // Resumed: `build` ran before the pause; its result and artifacts stand, and it is not told again.
    const reuse = new Map<string, ReusedJob>([
      ['build', { fromPipeline: facts.id, result: { status: 'passed', exitCode: 0, durationMs: 5 }, artifacts: { digest: 'sha256:abc', size: 3, files: 1, name: 'build', expiresAt: null, dotenv: { BUILT: 'yes' } } }],
    ]);
    const { result, statuses, started, finished, executor } = await run(yaml, { reuse, played: new Set(['review']) });
    expect(statuses).toEqual({ build: 'passed', review: 'passed', release: 'passed' });
    expect(started).toEqual(['review', 'release']);
    expect(finished).toEqual(['passed review', 'passed release']);
    expect(executor.envOf('review').BUILT).toBe('yes');
    expect(result.status).toBe('passed');
  });

  it('keeps an earlier failure when a pipeline resumes: what waited behind a job skipped for it is skipped for the same failure', async () => {
    const yaml = `stages: [build, test, review, release]
build: { stage: build, script: [b] }
lint: { stage: build, needs: [], script: [l] }
test: { stage: test, needs: [build], script: [t] }
review: { stage: review, when: manual, needs: [lint], script: [r] }
release: { stage: release, needs: [test], script: [x] }
`;
    const reuse = new Map<string, ReusedJob>([
      ['build', { fromPipeline: facts.id, result: { status: 'failed', exitCode: 2, durationMs: 5, error: 'the script exited with code 2' } }],
      ['lint', { fromPipeline: facts.id, result: { status: 'passed', exitCode: 0, durationMs: 5 } }],
      ['test', { fromPipeline: facts.id, result: { status: 'skipped', exitCode: null, durationMs: 0, error: 'skipped because build failed' } }],
    ]);
    const { result, statuses, started } = await run(yaml, { reuse, played: new Set(['review']) });
    expect(started).toEqual(['review']);
    expect(statuses).toMatchObject({ review: 'passed', release: 'skipped: skipped because build failed' });
    expect(result.status).toBe('failed');
  });
});

describe('delayed jobs', () => {
  it('schedules a delayed job, holds what comes after it, and leaves the pipeline scheduled', async () => {
    const { result, statuses, started } = await run(`${STAGES}build: { stage: build, script: [b] }
canary: { stage: review, when: delayed, start_in: 30 minutes, script: [c] }
release: { stage: release, script: [x] }
`);
    expect(statuses).toEqual({ build: 'passed', canary: 'scheduled: starts 30m after it was scheduled', release: 'created: waits for canary' });
    expect(started).toEqual(['build']);
    expect(result.status).toBe('scheduled');
    expect(result.jobs[1]).toMatchObject({ name: 'canary' });
  });

  it('runs a delayed job whose time came, and one a person unscheduled waits as a manual job', async () => {
    const yaml = `${STAGES}canary: { stage: review, when: delayed, start_in: 10s, script: [c] }
release: { stage: release, script: [x] }
`;
    expect((await run(yaml, { played: new Set(['canary']) })).statuses).toEqual({ canary: 'passed', release: 'passed' });
    const unscheduled = await run(yaml, { unscheduled: new Set(['canary']) });
    expect(unscheduled.statuses).toEqual({ canary: 'manual: waits for a person to play it', release: 'created: waits for canary' });
    expect(unscheduled.result.status).toBe('blocked');
  });
});
