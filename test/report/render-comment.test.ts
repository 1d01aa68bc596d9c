import { describe, expect, it } from 'vitest';
import { COMMENT_MARKER, commitStatusFor, renderComment } from '../../src/report/render-comment.js';
import type { JobView, PipelineView } from '../../src/store/pipeline-views.js';

function pipeline(overrides: Partial<PipelineView> = {}): PipelineView {
  return {
    id: 7,
    forge: 'gitlab',
    project: 'group/app',
    forgeContext: { projectId: 1 },
    sha: 'a'.repeat(40),
    ref: 'feature',
    changeRequest: 3,
    fromFork: false,
    status: 'failed',
    error: null,
    cancelReason: null,
    commandNote: null,
    supersededBy: null,
    newerId: null,
    planSource: '.slipway.yml',
    name: null,
    planNotes: [],
    image: null,
    createdAt: new Date(0),
    startedAt: new Date(0),
    finishedAt: new Date(65_000),
    jobs: [
      { id: 1, name: 'test', stage: 'test', needs: null, startedAt: null, finishedAt: null, kind: 'script', status: 'failed', exitCode: 1, error: 'the script exited with code 1', durationMs: 4200, coverage: null, artifacts: null, failureAllowed: false, trigger: 'automatic', playedBy: null, playedAt: null, scheduledAt: null },
      { id: 2, name: 'build', stage: 'test', needs: null, startedAt: null, finishedAt: null, kind: 'build', status: 'skipped', exitCode: null, error: 'skipped because test failed', durationMs: 0, coverage: null, artifacts: null, failureAllowed: false, trigger: 'automatic', playedBy: null, playedAt: null, scheduledAt: null },
    ],
    superseded: [],
    deploymentId: null,
    retryOf: null,
    retriedJob: null,
    ...overrides,
  };
}

describe('the MR comment', () => {
  it('shows each job, the failed job’s log tail folded, and the pipeline link', () => {
    const body = renderComment({ pipeline: pipeline(), logTails: new Map([[1, 'AssertionError: 404 != 200']]), pipelineUrl: 'https://ci.example/pipelines/7', maxLength: 65_536 });

    expect(body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(body).toContain('### ❌ Slipway: pipeline failed');
    expect(body).toContain('Commit `aaaaaaaaaaaa` on `feature` · [pipeline #7](https://ci.example/pipelines/7) · 1m 05s');
    expect(body).toContain('| test | ❌ failed | 4.2s | the script exited with code 1 |');
    expect(body).toContain('| build | ⏭️ skipped |  | skipped because test failed |');
    expect(body).toContain('<details><summary>test: last lines of the log</summary>\n\n```\nAssertionError: 404 != 200\n```\n\n</details>');
  });

  it('marks a failure allow_failure allows, in a pipeline that passed', () => {
    const [lint] = pipeline().jobs;
    const body = renderComment({
      pipeline: pipeline({ status: 'passed', jobs: [{ ...lint!, name: 'lint', failureAllowed: true }] }),
      logTails: new Map(),
      pipelineUrl: 'https://ci.example/pipelines/7',
      maxLength: 65_536,
    });

    expect(body).toContain('| lint | ⚠️ failed (allowed to fail) | 4.2s | the script exited with code 1 |');
  });

  it('shows the file’s workflow:name as code, so nothing in it mentions, links or marks up', () => {
    const body = renderComment({ pipeline: pipeline({ name: 'Release `v2` for @team [x](https://evil.test)' }), logTails: new Map(), pipelineUrl: 'https://ci.example/pipelines/7', maxLength: 65_536 });
    expect(body).toContain('[pipeline #7](https://ci.example/pipelines/7) `` Release `v2` for @team [x](https://evil.test) `` · 1m 05s');
  });

  it('stays within the forge’s limit however long the log, keeping the summary', () => {
    const huge = 'x'.repeat(200_000);

    const body = renderComment({ pipeline: pipeline(), logTails: new Map([[1, huge]]), pipelineUrl: 'https://ci.example/pipelines/7', maxLength: 65_536 });

    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain('| test | ❌ failed |');
    expect(body).toContain('Full logs: https://ci.example/pipelines/7');
  });

  it('shows a log tail without terminal colour codes', () => {
    const body = renderComment({ pipeline: pipeline(), logTails: new Map([[1, '\u001b[91mERROR\u001b[0m: boom\u001b]8;;http://x\u0007link\u001b]8;;\u0007']]), pipelineUrl: 'u', maxLength: 65_536 });

    expect(body).toContain('ERROR: boom');
    expect(body).toContain('link');
    expect(body).not.toContain('\u001b');
  });

  it('keeps a log’s own code fences from closing the block early', () => {
    const body = renderComment({ pipeline: pipeline(), logTails: new Map([[1, 'before\n```\nafter']]), pipelineUrl: 'u', maxLength: 65_536 });

    expect(body).toContain('````\nbefore\n```\nafter\n````');
  });

  it('lists what the .gitlab-ci.yml asked for that Slipway does not do, and the image its own jobs pushed, with the deploy command', () => {
    const view = pipeline({
      status: 'passed',
      planSource: '.gitlab-ci.yml',
      planNotes: ['Ignored keywords (Slipway does not support them): `cache` (top level).', 'Unsupported services, not started: `postgres:15` (test).'],
      image: { ref: '127.0.0.1:5000/group/app:aaaaaaaa', digest: `sha256:${'d'.repeat(64)}`, cachedSteps: 0, totalSteps: 0 },
      jobs: [
        { id: 1, name: 'test', stage: 'test', needs: null, startedAt: null, finishedAt: null, kind: 'script', status: 'passed', exitCode: 0, error: null, durationMs: 4200, coverage: 87.5, artifacts: null, failureAllowed: false, trigger: 'automatic', playedBy: null, playedAt: null, scheduledAt: null },
        { id: 2, name: 'build', stage: 'test', needs: null, startedAt: null, finishedAt: null, kind: 'script', status: 'passed', exitCode: 0, error: null, durationMs: 9000, coverage: null, artifacts: null, failureAllowed: false, trigger: 'automatic', playedBy: null, playedAt: null, scheduledAt: null },
        { id: 3, name: 'deploy', stage: 'test', needs: null, startedAt: null, finishedAt: null, kind: 'script', status: 'skipped', exitCode: null, error: 'waits for /deploy: it deploys to environment production, and deploys go through /deploy after approval', durationMs: 0, coverage: null, artifacts: null, failureAllowed: false, trigger: 'automatic', playedBy: null, playedAt: null, scheduledAt: null },
      ],
    });

    const body = renderComment({ pipeline: view, logTails: new Map(), pipelineUrl: 'u', maxLength: 65_536 });

    expect(body).toContain('<details open><summary>Notes on .gitlab-ci.yml</summary>\n\n- Ignored keywords (Slipway does not support them): `cache` (top level).\n- Unsupported services, not started: `postgres:15` (test).\n');
    expect(body).toContain('| deploy | ⏭️ skipped |  | waits for /deploy: it deploys to environment production, and deploys go through /deploy after approval |');
    expect(body).toContain('| test | ✅ passed | 4.2s | coverage 87.5% |');
    expect(body).toContain(`Image pushed by the pipeline: \`127.0.0.1:5000/group/app:aaaaaaaa\` \`sha256:${'d'.repeat(64)}\``);
    expect(body).toContain('Deploy this commit from Slack with `/deploy aaaaaaaaaaaa <environment>`.');
  });

  it('says what waits for a person, how to play it, and when a delayed job starts', () => {
    const waiting = (id: number, name: string, status: 'manual' | 'scheduled' | 'created' | 'passed', extra: Partial<JobView> = {}): JobView => ({
      ...pipeline().jobs[0]!,
      id,
      name,
      status,
      exitCode: null,
      durationMs: null,
      error: status === 'passed' ? null : status === 'created' ? 'waits for review' : 'waits for a person to play it',
      ...extra,
    });
    const view = pipeline({
      status: 'blocked',
      finishedAt: null,
      jobs: [
        waiting(1, 'test', 'passed', { durationMs: 1200, playedBy: 'alice (gitlab)', error: null }),
        waiting(2, 'review', 'manual', { trigger: 'manual' }),
        waiting(3, 'canary', 'scheduled', { trigger: 'delayed', scheduledAt: '2026-12-05T01:30:00.000Z', error: 'starts 30m after it was scheduled' }),
        waiting(4, 'release', 'created'),
      ],
    });

    const body = renderComment({ pipeline: view, logTails: new Map(), pipelineUrl: 'u', maxLength: 65_536 });

    expect(body).toContain('### ⏸️ Slipway: pipeline blocked: a manual job waits to be played');
    expect(body).toContain('| test | ✅ passed | 1.2s | played by alice (gitlab) |');
    expect(body).toContain('| review | ⏸️ manual |  | waits for a person to play it |');
    expect(body).toContain('| release | ⏳ created |  | waits for review |');
    expect(body).toContain('⏸️ `review` waits to be played (`release` waits for it): comment `/slipway play review` or press Play on the pipeline page (write access to the project).');
    expect(body).toContain('⏰ `canary` starts at 2026-12-05 01:30 UTC: comment `/slipway play canary` to start it now, or use Run now or Unschedule on the pipeline page.');
    expect(commitStatusFor(view, 'u')).toMatchObject({ state: 'pending', description: 'pipeline blocked: a manual job waits to be played' });
    expect(commitStatusFor(view, 'u').checks.jobs.map((check) => check.state)).toEqual(['success', 'waiting', 'waiting', 'waiting']);
  });

  it('escapes table cells so an error message cannot break the table', () => {
    const view = pipeline();
    view.jobs[0]!.error = 'expected a | b\nsecond line';

    const body = renderComment({ pipeline: view, logTails: new Map(), pipelineUrl: 'u', maxLength: 65_536 });

    expect(body).toContain('| test | ❌ failed | 4.2s | expected a \\| b second line |');
  });
});

describe('the commit status', () => {
  it.each([
    [{ status: 'queued' as const }, 'pending', 'pipeline queued'],
    [{ status: 'running' as const }, 'running', 'pipeline running'],
    [{ status: 'failed' as const }, 'failed', 'test failed: the script exited with code 1'],
    [{ status: 'canceled' as const, cancelReason: 'superseded by pipeline #9' }, 'canceled', 'canceled: superseded by pipeline #9'],
    [{ status: 'error' as const, error: 'the pipeline was started 3 times and never finished', jobs: [] }, 'failed', 'the pipeline was started 3 times and never finished'],
  ])('for %j is %s', (overrides, state, description) => {
    expect(commitStatusFor(pipeline(overrides), 'u')).toMatchObject({ state, description, targetUrl: 'u' });
  });

  it('carries a check for the pipeline and one per job, for GitHub', () => {
    const { checks } = commitStatusFor(pipeline(), 'https://slipway.example/pipelines/7');

    expect(checks.pipelineId).toBe(7);
    expect(checks.pipeline).toMatchObject({ name: 'slipway', state: 'failed', title: 'test failed: the script exited with code 1' });
    expect(checks.pipeline.summary).toContain('| test | ❌ failed | 4.2s |');
    expect(checks.jobs).toEqual([
      { name: 'slipway / test', state: 'failed', title: 'the script exited with code 1', summary: 'Job `test` of [pipeline #7](https://slipway.example/pipelines/7#job-1): failed in 4.2s' },
      { name: 'slipway / build', state: 'skipped', title: 'skipped because test failed', summary: 'Job `build` of [pipeline #7](https://slipway.example/pipelines/7#job-2): skipped' },
    ]);
  });
});
