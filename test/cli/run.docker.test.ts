import { rm } from 'node:fs/promises';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { finished, jobText, runCli, spawnCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { createPipelineQueue } from '../../src/store/pipeline-queue.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { EXAMPLE, exampleCopy, fakeSha, labEnv, registry, seedPythonLayers, uniqueName } from '../helpers/docker-lab.js';

describe('slipway run', () => {
  let database: TestDatabase | undefined;
  const folders: string[] = [];
  afterEach(async () => {
    await database?.drop();
    database = undefined;
    for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
  });

  it('runs the example, prints one JSON object, and records jobs and logs in PostgreSQL', async () => {
    database = await createTestDatabase();
    await migrate(database.url);
    const project = uniqueName('slipway-test/cli');
    await seedPythonLayers(project);
    const sha = fakeSha();

    const result = await runCli(['run', EXAMPLE, '--json', '--sha', sha, '--project', project], { ...labEnv, DATABASE_URL: database.url });
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const pipelines = await client.query('SELECT status, sha, image_digest FROM pipelines');
    const id = (await client.query<{ id: string }>('SELECT id FROM pipelines')).rows[0]!.id;
    const logs = await client.query(
      `SELECT j.name, j.status, string_agg(c.content, '' ORDER BY c.seq) AS log
       FROM jobs j JOIN job_log_chunks c ON c.job_id = j.id GROUP BY j.id ORDER BY j.position`,
    );
    await client.end();

    expect(result.code).toBe(0);
    expect(summary).toEqual({
      status: 'passed',
      jobs: [
        { name: 'test', kind: 'script', status: 'passed', exitCode: 0, durationMs: expect.any(Number) },
        { name: 'build', kind: 'build', status: 'passed', exitCode: 0, durationMs: expect.any(Number) },
      ],
      image: { ref: `127.0.0.1:5000/${project}:${sha}`, digest: expect.stringMatching(/^sha256:/), cachedSteps: expect.any(Number), totalSteps: 7 },
      warm: false,
    });
    expect((await registry.getManifest(project, sha))?.digest).toBe((summary.image as { digest: string }).digest);
    expect(result.stderr).toMatch(/^test +\| ── started \(python:3\.8-slim\)$/m);
    expect(result.stderr).toContain(`Recorded as http://localhost:3000/pipelines/${id}\n`);
    expect(pipelines.rows).toEqual([{ status: 'passed', sha, image_digest: (summary.image as { digest: string }).digest }]);
    expect(logs.rows.map((row) => [row.name, row.status])).toEqual([
      ['test', 'passed'],
      ['build', 'passed'],
    ]);
    expect(logs.rows[0].log).toContain('$ python -m tornado.testing test_hello_world');
    expect(logs.rows[0].log).toMatch(/^OK$/m);
  });

  it('exits 65 for a pipeline file it cannot read, names the field and line, and records the run as failed with why', async () => {
    database = await createTestDatabase();
    await migrate(database.url);
    const dir = await exampleCopy({ '.slipway.yml': 'test:\n  image: python:3.8-slim\n  script:\n    pip install -r requirements.txt\n' });
    folders.push(dir);

    const human = await runCli(['run', dir], { ...labEnv, DATABASE_URL: database.url });
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const recorded = await client.query('SELECT id, status, error FROM pipelines');
    await client.end();
    expect(human.code).toBe(65);
    expect(human.stdout).toBe(
      `Slipway cannot read .slipway.yml, so nothing ran:\n  .slipway.yml: test.script must be a list of strings (line 4)\nRecorded as http://localhost:3000/pipelines/${recorded.rows[0].id}\n`,
    );
    expect(recorded.rows).toEqual([{ id: expect.anything(), status: 'failed', error: '.slipway.yml: test.script must be a list of strings (line 4)' }]);

    const result = await runCli(['run', dir, '--json'], labEnv);

    expect(result.code).toBe(65);
    expect(JSON.parse(result.stdout)).toEqual({
      status: 'failed',
      jobs: [],
      image: null,
      error: '.slipway.yml: test.script must be a list of strings (line 4)',
      warm: false,
    });
  });

  it('exits 0 without running anything when the workflow rules leave the pipeline out', async () => {
    const dir = await exampleCopy({
      '.slipway.yml': null,
      '.gitlab-ci.yml': 'workflow:\n  rules:\n    - if: $CI_COMMIT_BRANCH == "release"\ntest:\n  image: busybox\n  script: [exit 1]\n',
    });
    folders.push(dir);

    const result = await runCli(['run', dir, '--json', '--ref', 'main'], labEnv);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ status: 'skipped', reason: 'no workflow:rules rule matches this pipeline', jobs: [], image: null });
  });

  it('prints a human summary and exits 1 when a job fails', async () => {
    const dir = await exampleCopy({ '.slipway.yml': 'test:\n  image: busybox\n  script:\n    - echo checking\n    - exit 7\nbuild: false\n' });
    folders.push(dir);

    const result = await runCli(['run', dir], labEnv);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^test \| \$ exit 7$/m);
    expect(result.stdout).toMatch(/^ {2}test +failed +[\d.]+m?s +the script exited with code 7$/m);
    // The daemon's start and removal are said, and the summary's time is the time waited, all of it.
    expect(result.stdout).toMatch(/^Docker daemon ready in [\d.]+m?s$/m);
    expect(result.stdout).toMatch(/^Docker daemon removed in [\d.]+m?s$/m);
    const summarised = /^Pipeline failed in ([\d.]+)(m?s)$/m.exec(result.stdout);
    const job = /^ {2}test +failed +([\d.]+)(m?s)/m.exec(result.stdout);
    const ms = (match: RegExpExecArray) => Number(match[1]) * (match[2] === 's' ? 1000 : 1);
    expect(ms(summarised!)).toBeGreaterThan(ms(job!));
  });

  it('leaves a manual job waiting and says how to run it, runs it with --play, and refuses --play of a job that does not wait', async () => {
    const dir = await exampleCopy({
      '.slipway.yml': null,
      '.gitlab-ci.yml': 'image: busybox\nstages: [test, review]\ntest: { stage: test, script: [echo tested] }\napprove: { stage: review, when: manual, allow_failure: false, script: [echo approved by hand] }\n',
    });
    folders.push(dir);

    const waiting = await runCli(['run', dir, '--no-push'], labEnv);
    const played = await runCli(['run', dir, '--no-push', '--play', 'approve'], labEnv);
    const wrong = await runCli(['run', dir, '--no-push', '--play', 'test'], labEnv);

    expect(waiting.code).toBe(1);
    expect(waiting.stdout).toMatch(/^ {2}approve +manual +waits for a person to play it$/m);
    expect(waiting.stdout).toContain('  Waiting to be played: approve (run again with --play approve to run it)');
    expect(waiting.stdout).toMatch(/^Pipeline blocked in /m);
    expect(played.code).toBe(0);
    expect(jobText(played.stdout)).toMatch(/^approved by hand$/m);
    expect(wrong.code).toBe(64);
    expect(wrong.stderr).toContain('--play test: not a manual or delayed job of this pipeline (those are: approve)');
  });

  it('runs a script in bash where the image has it and in sh where it has not, as GitLab Runner does, with pipefail', async () => {
    const dir = await exampleCopy({
      '.slipway.yml': null,
      '.gitlab-ci.yml': [
        'stages: [test]',
        'in-bash:',
        '  image: python:3.8-slim',
        `  script: ['echo -e "\\e[1;34mblue\\e[0m"', 'echo "shell=\${BASH_VERSION:+bash}"', '[[ -n "$HOME" ]] && echo double brackets']`,
        'in-sh:',
        '  image: busybox',
        `  script: ['echo "shell=\${BASH_VERSION:-sh}"']`,
        'piped:',
        '  image: python:3.8-slim',
        '  allow_failure: true',
        `  script: ['false | true', 'echo after the pipe']`,
        '',
      ].join('\n'),
    });
    folders.push(dir);

    const result = await runCli(['run', dir, '--no-push'], labEnv);

    expect(result.code).toBe(0);
    expect(jobText(result.stdout)).toMatch(/^(\x1b\[1;34m)?blue(\x1b\[0m)?$/m);
    expect(jobText(result.stdout)).not.toMatch(/^-e /m);
    expect(jobText(result.stdout)).toMatch(/^shell=bash$/m);
    expect(jobText(result.stdout)).toMatch(/^double brackets$/m);
    expect(jobText(result.stdout)).toMatch(/^shell=sh$/m);
    // A pipeline whose first part fails fails the job, as under GitLab Runner's `set -o pipefail`.
    expect(jobText(result.stdout)).not.toMatch(/^after the pipe$/m);
    expect(result.stdout).toMatch(/^ {2}piped +failed +[\d.]+m?s +allowed to fail: the script exited with code 1$/m);
  });

  it('runs a child pipeline of the repository’s own file in the same pipeline, with the variables its parent passed down', async () => {
    const dir = await exampleCopy({
      '.slipway.yml': null,
      '.gitlab-ci.yml': [
        'image: busybox',
        'stages: [build, child, after]',
        'variables: { GREETING: hello from the parent file }',
        'build: { stage: build, script: [echo built] }',
        'tests:',
        '  stage: child',
        '  variables: { TARGET: the child }',
        '  trigger: { include: ci/child.gitlab-ci.yml, strategy: depend }',
        'after: { stage: after, script: [echo after the child] }',
        '',
      ].join('\n'),
      'ci/child.gitlab-ci.yml': [
        'image: busybox',
        'unit:',
        `  script: ['echo "$GREETING to $TARGET, a $CI_PIPELINE_SOURCE job called $CI_JOB_NAME"']`,
        '',
      ].join('\n'),
    });
    folders.push(dir);

    const result = await runCli(['run', dir, '--no-push'], labEnv);

    expect(result.code).toBe(0);
    expect(jobText(result.stdout)).toMatch(/^hello from the parent file to the child, a parent_pipeline job called unit$/m);
    expect(result.stdout).toMatch(/^ {2}tests » unit +passed/m);
    expect(jobText(result.stdout).indexOf('after the child')).toBeGreaterThan(jobText(result.stdout).indexOf('a parent_pipeline job called unit'));
  });

  it('stops a recorded run that is canceled from the page or the API: its job ends, and the pipeline is canceled, not passed', async () => {
    database = await createTestDatabase();
    await migrate(database.url);
    const dir = await exampleCopy({ '.slipway.yml': null, '.gitlab-ci.yml': 'image: busybox\nlong: { script: [echo started, sleep 300, echo never] }\n' });
    folders.push(dir);
    const child = spawnCli(['run', dir, '--no-push'], { ...labEnv, DATABASE_URL: database.url });
    const done = finished(child);
    const pool = new pg.Pool({ connectionString: database.url });
    try {
      const id = await waitFor('the job to run', async () => (await pool.query<{ pipeline_id: string }>(`SELECT pipeline_id FROM jobs WHERE name = 'long' AND status = 'running'`)).rows[0]?.pipeline_id);
      // What the page's Cancel and the API ask of the queue.
      expect(await createPipelineQueue(pool).requestCancel(Number(id), 'canceled by admin')).toBe(true);
      const result = await done;
      const row = (await pool.query('SELECT status, cancel_reason FROM pipelines WHERE id = $1', [id])).rows[0];

      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^Pipeline canceled in /m);
      expect(jobText(result.stdout)).not.toMatch(/^never$/m);
      expect(row).toEqual({ status: 'canceled', cancel_reason: 'canceled by admin' });
    } finally {
      await pool.end();
    }
  });

  it.each([
    [['run', EXAMPLE, '--sha', 'not-a-sha'], '--sha must be a commit SHA in lower-case hex (7 to 64 characters), got "not-a-sha"'],
    [['run', '/no/such/folder'], '/no/such/folder is not a folder'],
    [['run', EXAMPLE, '--colour'], 'slipway run has no option --colour: it takes --sha SHA, --json, --project NAME, --ref BRANCH, --default-branch BRANCH, --no-push, --play JOB (slipway run --help)'],
  ])('refuses %j with a usage error', async (args, message) => {
    const result = await runCli(args, labEnv);

    expect(result.code).toBe(64);
    expect(result.stderr).toContain(message);
  });

  it('explains every option, what it reads and its exit codes with --help', async () => {
    const result = await runCli(['run', '--help'], labEnv);

    expect(result.code).toBe(0);
    for (const option of ['--sha SHA', '--ref BRANCH', '--default-branch BRANCH', '--project NAME', '--no-push', '--play JOB', '--json']) expect(result.stdout).toMatch(new RegExp(`^  ${option} +\\S`, 'm'));
    for (const variable of ['DOCKER_HOST', 'SLIPWAY_REGISTRY', 'DATABASE_URL']) expect(result.stdout).toContain(variable);
    expect(result.stdout).toContain('65 the pipeline file cannot be read');
  });
});
