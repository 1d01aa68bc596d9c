import { describe, expect, it } from 'vitest';
import type { PipelinePlan } from '../../../src/pipeline/plan.js';
import { predefinedVariables } from '../../../src/pipeline/predefined-variables.js';
import { parseGitlabCiFile } from '../../../src/pipeline/read/gitlab-ci/read-gitlab-ci.js';
import { createLocalResourceGroups } from '../../../src/pipeline/resource-groups.js';
import { runPipeline, type PipelineRun } from '../../../src/pipeline/run/engine.js';
import { FakeExecutor } from '../../helpers/fake-executor.js';
import { exampleFacts } from '../../helpers/example-facts.js';

// The engine's ordering rules against an executor that runs nothing: `needs`, stages, `when`,
// `allow_failure`, `retry`, `resource_group`, timeouts and cancellation, in milliseconds.
// What a real container does with them is test/docker's business.

const facts = exampleFacts();

const planOf = (yaml: string): PipelinePlan => parseGitlabCiFile(`image: debian:bookworm\n${yaml}`, predefinedVariables(facts));

function runOf(plan: PipelinePlan, settings: Partial<PipelineRun> = {}): PipelineRun {
  return { facts, sourceDir: '/nonexistent', plan, pushAllowed: true, secrets: [], jobTimeoutMs: 60_000, ...settings };
}

async function run(yaml: string, executor: FakeExecutor, settings: Partial<PipelineRun> = {}, signal?: AbortSignal) {
  const observed: string[] = [];
  const output = new Map<string, string>();
  const result = await runPipeline(
    runOf(planOf(yaml), settings),
    executor,
    {
      jobStarted: (job) => void observed.push(`start ${job.name}`),
      jobFinished: (job, finished) => void observed.push(`${finished.status} ${job.name}`),
      jobOutput: (job, text) => output.set(job.name, (output.get(job.name) ?? '') + text),
    },
    signal,
  );
  const statuses = Object.fromEntries(result.jobs.map((job) => [job.name, job.error === undefined ? job.status : `${job.status}: ${job.error}`]));
  return { result, observed, output, statuses };
}

describe('the engine orders jobs', () => {
  it('starts a job as soon as what it needs is done, across stages, and a needs: [] job at once', async () => {
    const executor = new FakeExecutor();
    const releaseSlow = executor.hold('slow');
    // `slow` is let go only once the jobs that need not wait for it have started.
    void Promise.all([executor.startOf('after-fast 1/2'), executor.startOf('after-fast 2/2'), executor.startOf('at-once')]).then(releaseSlow);
    const { result, observed, statuses } = await run(
      `stages: [build, test, release]
slow:
  stage: build
  script: [sleep 8]
fast:
  stage: build
  script: [echo fast done]
after-fast:
  stage: test
  needs: [fast]
  script: [echo "node $CI_NODE_INDEX of $CI_NODE_TOTAL"]
  parallel: 2
at-once:
  stage: release
  needs: []
  script: [echo at once]
stage-bound:
  stage: test
  script: [echo after every build job]
`,
      executor,
    );

    expect(result.status).toBe('passed');
    expect(Object.values(statuses)).toEqual(Array(6).fill('passed'));
    const at = (event: string) => observed.indexOf(event);
    expect(at('start after-fast 1/2')).toBeGreaterThan(at('passed fast'));
    expect(at('start after-fast 1/2')).toBeLessThan(at('passed slow'));
    expect(at('start at-once')).toBeLessThan(at('passed slow'));
    expect(at('start stage-bound')).toBeGreaterThan(at('passed slow'));
    const second = executor.events.find((event) => event.type === 'start' && event.job === 'after-fast 2/2');
    expect(second?.type === 'start' && [second.env.CI_NODE_INDEX, second.env.CI_NODE_TOTAL]).toEqual(['2', '2']);
  });

  it('runs the jobs of one stage side by side, and the next stage only after all of them', async () => {
    const executor = new FakeExecutor();
    const releaseA = executor.hold('unit-a');
    const releaseB = executor.hold('unit-b');
    void Promise.all([executor.startOf('unit-a'), executor.startOf('unit-b')]).then(() => {
      releaseB();
      setImmediate(releaseA);
    });
    await run('unit-a: { stage: test, script: [a] }\nunit-b: { stage: test, script: [b] }\npackage: { stage: deploy, environment: none, script: [p] }\nlint: { stage: build, script: [l] }\n', executor);

    expect(executor.names('start')).toEqual(['lint', 'unit-a', 'unit-b']);
    expect(executor.indexOf('start', 'unit-b')).toBeLessThan(executor.indexOf('end', 'unit-a'));
    expect(executor.indexOf('start', 'unit-a')).toBeGreaterThan(executor.indexOf('end', 'lint'));
  });

  it('skips what needs a failed job, directly or not, and leaves the rest running', async () => {
    const executor = new FakeExecutor().script('broken', { exitCode: 3 });
    const { result, statuses } = await run(
      `stages: [build, test, release]
broken: { stage: build, script: [exit 3] }
fine: { stage: build, script: [echo fine] }
uses-broken: { stage: test, needs: [broken], script: [echo never] }
uses-that: { stage: release, needs: [uses-broken], script: [echo never] }
uses-fine: { stage: test, needs: [fine], script: [echo runs] }
report: { stage: release, needs: [uses-broken], when: on_failure, script: [echo reporting] }
`,
      executor,
    );

    expect(result.status).toBe('failed');
    expect(statuses).toEqual({
      broken: 'failed: the script exited with code 3',
      fine: 'passed',
      'uses-broken': 'skipped: skipped because broken failed',
      'uses-fine': 'passed',
      'uses-that': 'skipped: skipped because broken failed',
      report: 'passed',
    });
    expect(executor.names('start')).not.toContain('uses-broken');
  });

  it('runs on_failure jobs only after a failure and always jobs either way, and stops later stages', async () => {
    const passing = await run('t: { stage: test, script: [t] }\nafter: { stage: deploy, environment: x, script: [d] }\ncleanup: { stage: .post, when: always, script: [c] }\nnotify: { stage: .post, when: on_failure, script: [n] }\n', new FakeExecutor());
    expect(passing.statuses).toEqual({
      t: 'passed',
      after: 'skipped: waits for /deploy: it deploys to environment x, and deploys go through /deploy after approval',
      cleanup: 'passed',
      notify: 'skipped: runs only when an earlier job fails',
    });

    const failing = await run(
      'compile: { stage: build, script: [c] }\nt: { stage: test, script: [t] }\ncleanup: { stage: .post, when: always, script: [c] }\nnotify: { stage: .post, when: on_failure, script: [n] }\n',
      new FakeExecutor().script('compile', { exitCode: 2 }),
    );
    expect(failing.result.status).toBe('failed');
    expect(failing.statuses).toEqual({
      compile: 'failed: the script exited with code 2',
      t: 'skipped: skipped because compile failed',
      cleanup: 'passed',
      notify: 'passed',
    });
  });
});

describe('the engine judges failures', () => {
  it('lets a job fail with one of its allow_failure exit codes, and only with those', async () => {
    const yaml = `allowed:
  stage: build
  script: [exit 3]
  allow_failure: { exit_codes: [3, 137] }
next: { stage: test, script: [echo next] }
`;
    const allowed = await run(yaml, new FakeExecutor().script('allowed', { exitCode: 137 }));
    expect(allowed.result.status).toBe('passed');
    expect(allowed.statuses).toEqual({ allowed: 'failed: the script exited with code 137', next: 'passed' });
    // Marked, for the page, the comment and the summary to say so.
    expect(allowed.result.jobs[0]!.failureAllowed).toBe(true);

    const refused = await run(yaml, new FakeExecutor().script('allowed', { exitCode: 4 }));
    expect(refused.result.status).toBe('failed');
    expect(refused.result.jobs[0]!.failureAllowed).toBeUndefined();
    expect(refused.statuses).toEqual({ allowed: 'failed: the script exited with code 4', next: 'skipped: skipped because allowed failed' });

    const any = await run('flaky: { stage: build, script: [x], allow_failure: true }\nnext: { stage: test, script: [n] }\n', new FakeExecutor().script('flaky', { throws: 'the daemon went away' }));
    expect(any.result.status).toBe('passed');
    expect(any.statuses).toEqual({ flaky: 'failed: the daemon went away', next: 'passed' });
  });

  it('skips what comes after a job that failed with a code its allow_failure does not list', async () => {
    const executor = new FakeExecutor().script('out-of-memory', { exitCode: 137 }).script('other-failure', { exitCode: 2 });
    const { result } = await run(
      `stages: [first, second, third]
out-of-memory:
  stage: first
  allow_failure: { exit_codes: 137 }
  script: [exit 137]
other-failure:
  stage: second
  allow_failure: { exit_codes: [137, 255] }
  script: [exit 2]
after:
  stage: third
  script: [echo after]
`,
      executor,
    );

    expect(result.status).toBe('failed');
    expect(result.jobs.map((job) => [job.name, job.status, job.error])).toEqual([
      ['out-of-memory', 'failed', 'the script exited with code 137'],
      ['other-failure', 'failed', 'the script exited with code 2'],
      ['after', 'skipped', 'skipped because other-failure failed'],
    ]);
  });

  it('retries until retry:max, not for other exit codes, and never a timeout that only script_failure covers', async () => {
    const executor = new FakeExecutor().script('flaky', { exitCode: 1, output: 'attempt\n' }).script('wrong-code', { exitCode: 1 }).script('slow', { hang: true });
    const { result, output } = await run(
      `flaky:
  retry: { max: 2, when: script_failure }
  script: [exit 1]
wrong-code:
  retry: { max: 2, exit_codes: [3] }
  script: [exit 1]
slow:
  timeout: 1s
  retry: { max: 1, when: script_failure }
  script: [sleep 60]
`,
      executor,
    );

    expect(result.jobs.map((job) => [job.name, job.status, job.error])).toEqual([
      ['flaky', 'failed', 'the script exited with code 1'],
      ['wrong-code', 'failed', 'the script exited with code 1'],
      ['slow', 'failed', 'timed out after 1.0s'],
    ]);
    expect(output.get('flaky')!.match(/^attempt$/gm)).toHaveLength(3);
    expect(executor.names('start').filter((job) => job === 'flaky')).toHaveLength(3);
    expect(output.get('flaky')).toContain('Retrying flaky (retry 1 of 2) after script failure');
    expect(output.get('flaky')).toContain('Retrying flaky (retry 2 of 2) after script failure');
    expect(output.get('wrong-code') ?? '').not.toContain('Retrying');
    expect(output.get('slow')).not.toContain('Retrying');
  });

  it('retries a job after the failures its retry names, and only those', async () => {
    const scriptRetry = new FakeExecutor().script('flaky', { exitCode: 1, output: 'first\n' }, { exitCode: 1, output: 'second\n' }, { exitCode: 0, output: 'third\n' });
    const retried = await run('flaky: { script: [x], retry: { max: 2, when: script_failure } }\n', scriptRetry);
    expect(retried.statuses).toEqual({ flaky: 'passed' });
    expect(scriptRetry.names('start')).toEqual(['flaky', 'flaky', 'flaky']);
    expect(retried.output.get('flaky')).toContain('Retrying flaky (retry 1 of 2) after script failure');
    expect(retried.output.get('flaky')).toContain('Retrying flaky (retry 2 of 2) after script failure');
    // The observer hears of the job's start and its final result once, however many attempts it took.
    expect(retried.observed).toEqual(['start flaky', 'passed flaky']);

    const wrongKind = new FakeExecutor().script('flaky', { exitCode: 1 }, { exitCode: 0 });
    const notRetried = await run('flaky: { script: [x], retry: { max: 2, when: runner_system_failure } }\n', wrongKind);
    expect(notRetried.statuses).toEqual({ flaky: 'failed: the script exited with code 1' });
    expect(wrongKind.names('start')).toEqual(['flaky']);

    const systemFailure = new FakeExecutor().script('flaky', { throws: 'no space left on device' }, { exitCode: 0 });
    expect((await run('flaky: { script: [x], retry: { max: 1, when: runner_system_failure } }\n', systemFailure)).statuses).toEqual({ flaky: 'passed' });

    const byExitCode = new FakeExecutor().script('flaky', { exitCode: 137 }, { exitCode: 1 }, { exitCode: 0 });
    const codes = await run('flaky: { script: [x], retry: { max: 2, when: always, exit_codes: [137] } }\n', byExitCode);
    expect(codes.statuses).toEqual({ flaky: 'failed: the script exited with code 1' });
    expect(byExitCode.names('start')).toEqual(['flaky', 'flaky']);
  });

  it('cuts a job at its own timeout, never past the server’s, and retries a timeout only when asked', async () => {
    const executor = new FakeExecutor().script('slow', { hang: true }).script('capped', { hang: true });
    const { result, statuses } = await run('slow: { stage: build, script: [sleep 99], timeout: 1s, retry: { max: 1, when: job_execution_timeout } }\ncapped: { stage: build, script: [sleep 99], timeout: 1h }\n', executor, {
      jobTimeoutMs: 1_500,
    });
    expect(result.status).toBe('failed');
    expect(statuses).toEqual({ slow: 'failed: timed out after 1.0s', capped: 'failed: timed out after 1.5s' });
    expect(executor.names('start')).toEqual(['slow', 'capped', 'slow']);
  });
});

describe('the engine shares and stops', () => {
  it('lets one job at a time hold a resource group, across pipelines of the project', async () => {
    const groups = createLocalResourceGroups();
    const executor = new FakeExecutor();
    const releaseFirst = executor.hold('deploy-a');
    const yaml = (name: string) => `${name}: { script: [d], resource_group: production-$CI_PROJECT_NAME }\n`;
    const first = run(yaml('deploy-a'), executor, { resourceGroups: groups });
    await executor.startOf('deploy-a');
    const second = run(yaml('deploy-b'), executor, { resourceGroups: groups });
    // deploy-b waits while deploy-a holds production-app.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(executor.names('start')).toEqual(['deploy-a']);
    releaseFirst();
    const [a, b] = await Promise.all([first, second]);

    expect(executor.indexOf('start', 'deploy-b')).toBeGreaterThan(executor.indexOf('end', 'deploy-a'));
    expect(b.output.get('deploy-b')).toContain('Waiting for resource group production-app (one job at a time)');
    expect([a.result.status, b.result.status]).toEqual(['passed', 'passed']);
  });

  it('cancels the running job and everything after it, and closes the environment', async () => {
    const controller = new AbortController();
    const executor = new FakeExecutor().script('long', { hang: true });
    void executor.startOf('long').then(() => controller.abort());
    const { result, statuses } = await run('long: { stage: build, script: [sleep 99] }\nlater: { stage: test, script: [t] }\n', executor, {}, controller.signal);

    expect(result.status).toBe('canceled');
    expect(statuses).toEqual({ long: 'canceled: pipeline canceled', later: 'canceled: pipeline canceled' });
    expect(executor.events.at(-1)).toEqual({ type: 'close' });
  });

  it('fails every job with the reason when the environment cannot be prepared, and needs none when nothing runs', async () => {
    const broken = new FakeExecutor();
    broken.openError = 'the Docker host does not answer';
    const { result, statuses } = await run('a: { script: [a] }\nb: { stage: deploy, script: [b] }\n', broken);
    expect(result).toMatchObject({ status: 'failed', error: 'could not prepare the pipeline: the Docker host does not answer' });
    expect(statuses).toEqual({ a: 'skipped: could not prepare the pipeline: the Docker host does not answer', b: 'skipped: could not prepare the pipeline: the Docker host does not answer' });

    const idle = new FakeExecutor();
    const skipped = await run('a: { script: [a] }\n', idle, { skipJobs: { a: 'a fork’s pipeline runs no jobs here' } });
    expect(skipped.result.status).toBe('passed');
    expect(skipped.statuses).toEqual({ a: 'skipped: a fork’s pipeline runs no jobs here' });
    expect(idle.events).toEqual([]);
  });

  it('keeps the jobs a retry reuses, and runs the retried job and what waits for it', async () => {
    const executor = new FakeExecutor();
    const reuse = new Map([['compile', { fromPipeline: '40', result: { status: 'passed' as const, exitCode: 0, durationMs: 1200 } }]]);
    const { output, statuses } = await run('compile: { stage: build, script: [c] }\nt: { stage: test, script: [t] }\n', executor, { reuse });

    expect(statuses).toEqual({ compile: 'passed', t: 'passed' });
    expect(executor.names('start')).toEqual(['t']);
    expect(output.get('compile')).toBe('Not run again: the result of pipeline #40, which this one retries.\n');
  });

  it('masks secrets, the job token and masked variables in output and errors, and hands file variables as files', async () => {
    const executor = new FakeExecutor().script('leaky', { output: 'token job-token-123 and hunter2-secret\n', throws: 'failed with server-secret-1' });
    const { output, statuses } = await run('leaky: { script: [x] }\n', executor, {
      secrets: ['server-secret-1'],
      jobToken: 'job-token-123',
      variables: [
        { name: 'PASSWORD', value: 'hunter2-secret', masked: true, file: false },
        { name: 'KUBECONFIG', value: 'apiVersion: v1', masked: false, file: true },
      ],
    });

    expect(output.get('leaky')).toBe('token [masked] and [masked]\n\nfailed with [masked]\n');
    expect(statuses).toEqual({ leaky: 'failed: failed with [masked]' });
    const start = executor.events.find((event) => event.type === 'start');
    expect(start?.type === 'start' && [start.env.KUBECONFIG, start.env.PASSWORD, start.files]).toEqual(['/workspace.tmp/KUBECONFIG', 'hunter2-secret', 1]);
    // The registry credential is the job's context, not something read back out of its environment.
    expect(start?.type === 'start' && start.credential).toEqual({ username: 'gitlab-ci-token', password: 'job-token-123' });
  });

  describe('a child pipeline (trigger:include)', () => {
    const child = `image: debian:bookworm
stages: [test, publish]
test: { stage: test, script: [test] }
publish: { stage: publish, script: [publish] }
`;
    const parent = (strategy: string) => `image: debian:bookworm
stages: [build, deploy, verify]
build: { stage: build, script: [make] }
child: { stage: deploy, trigger: { include: ci/child.yml${strategy} } }
verify: { stage: verify, script: [check] }
`;
    const planWithChild = (yaml: string): PipelinePlan =>
      parseGitlabCiFile(yaml, predefinedVariables(facts), {}, undefined, { readLocal: (name) => (name === 'ci/child.yml' ? child : undefined), localFiles: () => ['ci/child.yml'], fetched: new Map() });
    const runWithChild = async (yaml: string, executor: FakeExecutor) => {
      const result = await runPipeline(runOf(planWithChild(yaml)), executor);
      return { result, statuses: Object.fromEntries(result.jobs.map((job) => [job.name, job.status])) };
    };

    it('runs after the parent’s earlier stages, in its own order, told its own job names; with strategy: depend the parent waits and takes its failure', async () => {
      const executor = new FakeExecutor().script('child » publish', { exitCode: 1 });
      const { result, statuses } = await runWithChild(parent(', strategy: depend'), executor);

      expect(executor.names('start')).toEqual(['build', 'child » test', 'child » publish']);
      expect(result.status).toBe('failed');
      expect(statuses).toEqual({ build: 'passed', 'child » test': 'passed', 'child » publish': 'failed', verify: 'skipped' });
      const started = executor.events.find((event) => event.type === 'start' && event.job === 'child » test');
      expect(started?.type === 'start' && [started.env.CI_JOB_NAME, started.env.CI_PIPELINE_SOURCE]).toEqual(['test', 'parent_pipeline']);
    });

    it('without strategy: depend, lets the parent go on at once and pass whatever the child does', async () => {
      const executor = new FakeExecutor().script('child » publish', { exitCode: 1 });
      const releaseTest = executor.hold('child » test');
      void executor.startOf('verify').then(releaseTest);
      const { result, statuses } = await runWithChild(parent(''), executor);

      // `verify` started while the child's first job was still held.
      expect(executor.indexOf('start', 'verify')).toBeLessThan(executor.indexOf('end', 'child » test'));
      expect(statuses).toEqual({ build: 'passed', 'child » test': 'passed', 'child » publish': 'failed', verify: 'passed' });
      expect(result.status).toBe('passed');
    });
  });
});
