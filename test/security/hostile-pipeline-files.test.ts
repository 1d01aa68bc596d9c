import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGitlabCiFile } from '../../src/pipeline/read/gitlab-ci/read-gitlab-ci.js';
import { evaluate, parseExpression } from '../../src/pipeline/read/gitlab-ci/rule-expression.js';
import { PipelineFileError } from '../../src/pipeline/read/pipeline-file-error.js';
import { readPipeline } from '../../src/pipeline/read/read-pipeline.js';

const CATASTROPHIC = '/(a+)+$/';
const LONG = `${'a'.repeat(10_000)}b`;

describe('pipeline files written to hurt', () => {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it('matches a backtracking-bomb regex against 10,000 characters in linear time', () => {
    const started = performance.now();

    const matched = evaluate(parseExpression(`$CI_COMMIT_BRANCH =~ ${CATASTROPHIC}`), { CI_COMMIT_BRANCH: LONG });
    const elapsed = performance.now() - started;

    expect(matched).toBe(false);
    // A backtracking engine takes longer than the age of the universe here; RE2's takes milliseconds.
    expect(elapsed).toBeLessThan(2_000);
  });

  it('runs only:/regex/ refs with the same engine', () => {
    const started = performance.now();

    const plan = parseGitlabCiFile(`job:\n  image: alpine\n  script: [echo]\n  only: ['${CATASTROPHIC}']\n`, { CI_COMMIT_BRANCH: LONG, CI_COMMIT_REF_NAME: LONG, CI_PIPELINE_SOURCE: 'push' });

    expect(plan.jobs.map((job) => job.name)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it.each([
    ['a lookbehind RE2 does not have', '/(?<=a)b/', 'is not a valid regular expression'],
    ['a pattern GitLab does not read', '/./', 'is no pattern GitLab reads: write at least two characters between the slashes'],
  ])('refuses %s with the job and line', (_name, pattern, message) => {
    const read = () => parseGitlabCiFile(`job:\n  image: alpine\n  script: [echo]\n  rules:\n    - if: '$CI_COMMIT_BRANCH =~ ${pattern}'\n`, {});

    expect(read).toThrow(PipelineFileError);
    expect(read).toThrow(message);
    expect(read).toThrow('(line 5)');
  });

  it('reads a file that takes too long off the event loop, and fails it with the time budget named', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-slow-file-'));
    folders.push(dir);
    const jobs = Array.from({ length: 5000 }, (_, index) => `job${index}:\n  image: alpine\n  script: [echo]\n  rules:\n    - if: '$LONG =~ ${CATASTROPHIC}'\n`).join('');
    await writeFile(path.join(dir, '.gitlab-ci.yml'), `variables:\n  LONG: "${LONG}"\n${jobs}`);
    let ticks = 0;
    let longestGap = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks += 1;
    }, 20);

    // A health endpoint served by this same process must keep answering meanwhile.
    const health = http.createServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    const healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/healthz`;
    const answers: number[] = [];
    const reading = readPipeline(dir, { variables: { LONG }, timeoutMs: 3_000 });
    const settled = reading.then(() => undefined, () => undefined);
    let done = false;
    void settled.then(() => (done = true));
    while (!done) {
      const started = performance.now();
      await fetch(healthUrl).then((response) => response.text());
      answers.push(performance.now() - started);
      await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
    await expect(reading).rejects.toThrow(
      new PipelineFileError('the pipeline file', ['took longer than 3 s to read (SLIPWAY_PIPELINE_FILE_TIMEOUT): simplify its anchors, extends or expressions']),
    );
    clearInterval(ticker);
    health.close();

    expect(ticks).toBeGreaterThan(50);
    expect(longestGap).toBeLessThan(1_000);
    expect(answers.length).toBeGreaterThan(10);
    expect(Math.max(...answers)).toBeLessThan(1_000);
  });

  it('reads an ordinary file on its thread and returns the same plan', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-ok-file-'));
    folders.push(dir);
    await writeFile(path.join(dir, '.gitlab-ci.yml'), `test:\n  image: python:3.8-slim\n  script: [pytest]\n  rules:\n    - if: '$CI_COMMIT_BRANCH =~ /^feat/i'\n`);

    const plan = await readPipeline(dir, { variables: { CI_COMMIT_BRANCH: 'FEATURE-1', CI_PIPELINE_SOURCE: 'push' }, timeoutMs: 30_000 });

    expect(plan.jobs.map((job) => job.name)).toEqual(['test']);
  });
});
