import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { jobText, runCli } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/database.js';
import { labEnv } from '../helpers/docker-lab.js';

// gitlab-ci-local's own integration cases (the gcl-* files of ../shared/corpus), run through
// `slipway run` as a user would: each job must print what gitlab-ci-local's tests expect it to
// print, which is what GitLab prints. Jobs without an image get busybox, as a runner's default.
const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus/gitlab-ci');

describe('gitlab-ci-local’s cases, run by slipway run', () => {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  /**
   * One corpus file as a repository's .gitlab-ci.yml (`edit` may change what cannot run here),
   * beside `files`, run whole; its output's lines and exit code.
   */
  async function runCase(name: string, options: { edit?: (text: string) => string; files?: Record<string, string>; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; lines: string[] }> {
    const dir = await mkdtemp(path.join(os.tmpdir(), `slipway-${name}-`));
    folders.push(dir);
    const text = await readFile(path.join(CORPUS, `${name}.gitlab-ci.yml`), 'utf8');
    await writeFile(path.join(dir, '.gitlab-ci.yml'), options.edit ? options.edit(text) : text);
    for (const [file, content] of Object.entries(options.files ?? {})) await writeFile(path.join(dir, file), content);
    const result = await runCli(['run', dir, '--no-push', '--ref', 'main'], { ...labEnv, SLIPWAY_DEFAULT_IMAGE: 'busybox', ...options.env });
    return { code: result.code, lines: jobText(result.stdout).split('\n') };
  }

  /** The lines appear in this order (others may come between). */
  const inOrder = (lines: string[], expected: string[]) => {
    let from = 0;
    for (const line of expected) {
      const at = lines.indexOf(line, from);
      expect(at, `"${line}" after line ${from} of:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0);
      from = at + 1;
    }
  };

  it('after-script: the job’s own and the default after_script, and CI_JOB_STATUS running, then success or failed', async () => {
    const { code, lines } = await runCase('gcl-after-script');

    // post-job (.post) exits 1, so the pipeline fails, as in GitLab.
    expect(code).toBe(1);
    inOrder(lines, ['Build something', 'Cleanup after test', 'Test something', 'Cleanup after test', 'running', 'success', 'failed']);
  });

  it('before-script and scripts written as strings: before_script, script, after_script in that order', async () => {
    const before = await runCase('gcl-before-script');
    const strings = await runCase('gcl-scripts-as-string');

    expect([before.code, strings.code]).toEqual([0, 0]);
    inOrder(before.lines, ['Before test', 'Test something']);
    inOrder(strings.lines, ['Before test', 'Test something', 'After test']);
  });

  it('extends: a chain of templates, the last listed winning key by key', async () => {
    const { code, lines } = await runCase('gcl-extends');

    expect(code).toBe(0);
    inOrder(lines, ['Test something (before_script)', 'Test something', 'Test something (after_script)']);
    expect(lines).not.toContain('Should not be printed');
  });

  it('variable-escaping: $$ is a dollar, and a variable used in another is expanded', async () => {
    const { code, lines } = await runCase('gcl-variable-escaping');

    expect(code).toBe(0);
    expect(lines).toContain('ls "-al" $TMP_DIR');
  });

  it('workflow-rules-variables: the matching workflow rule’s variables reach the jobs', async () => {
    const { code, lines } = await runCase('gcl-workflow-rules-variables');

    expect(code).toBe(0);
    expect(lines).toContain('WORKFLOW_VAR=from-workflow-rules');
  });

  it('when-always: a job that runs always runs after a failure, and the pipeline still fails', async () => {
    const { code, lines } = await runCase('gcl-when-always');

    expect(code).toBe(1);
    expect(lines).toContain('Test something');
  });

  it('trigger: the child pipeline an earlier job writes runs in the same pipeline, told it is a child, and is recorded beside it', async () => {
    const database = await createTestDatabase();
    try {
      await migrate(database.url);
      // The case's generator installs envsubst with apk, which needs the internet: busybox's sed does its one substitution.
      const { code, lines } = await runCase('gcl-trigger', {
        edit: (text) =>
          text
            .replace('image: alpine', 'image: busybox')
            .replace(/    - apk add --no-cache envsubst\n    - cat \.gitlab-ci\.tmpl \| envsubst > \.gitlab-ci-child\.yml/, `    - sed "s/\\\${VAR_FROM_ANOTHER_MOTHER}/$VAR_FROM_ANOTHER_MOTHER/" .gitlab-ci.tmpl > .gitlab-ci-child.yml`),
        files: { '.gitlab-ci.tmpl': 'child-job:\n  script:\n    - echo "${VAR_FROM_ANOTHER_MOTHER}"\n    - echo "source=$CI_PIPELINE_SOURCE"\n' },
        env: { DATABASE_URL: database.url },
      });

      expect(code).toBe(0);
      inOrder(lines, ["echo me i'm generated", 'source=parent_pipeline']);
      expect(lines).toContain('Note: Trigger jobs not run: `remote-trigger` (it starts a pipeline of another project, which Slipway does not run).');
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const jobs = await client.query(
        `SELECT j.name, j.kind, j.status, string_agg(c.content, '' ORDER BY c.seq) AS log FROM jobs j LEFT JOIN job_log_chunks c ON c.job_id = j.id GROUP BY j.id ORDER BY j.position`,
      );
      await client.end();
      expect(jobs.rows.map((row) => [row.name, row.kind, row.status])).toEqual([
        ['pipe-gen-job', 'script', 'passed'],
        ['include-trigger', 'trigger', 'passed'],
        ['include-trigger » child-job', 'script', 'passed'],
      ]);
      expect(jobs.rows[2].log).toContain("echo me i'm generated");
    } finally {
      await database.drop();
    }
  });
});
