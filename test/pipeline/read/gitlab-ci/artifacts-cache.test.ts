import { createHash } from 'node:crypto';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheKey } from '../../../../src/pipeline/run/cache-key.js';
import { parseGitlabCiFile } from '../../../../src/pipeline/read/gitlab-ci/read-gitlab-ci.js';
import { parseDotenv } from '../../../../src/pipeline/run/parse-dotenv.js';
import { PipelineFileError } from '../../../../src/pipeline/read/pipeline-file-error.js';
import type { ScriptJobSpec } from '../../../../src/pipeline/plan.js';
import { foldersToRead, selectPaths } from '../../../../src/pipeline/run/workspace-paths.js';
import { cacheScope } from '../../../../src/variables/choose-variables.js';
import { refusalOf } from '../../../helpers/refusal.js';

const onMain = { CI_COMMIT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'main', CI_COMMIT_REF_SLUG: 'main', CI_PIPELINE_SOURCE: 'push' };
const plan = (text: string) => parseGitlabCiFile(text, onMain).jobs as ScriptJobSpec[];
const job = (text: string, name: string) => plan(text).find((each) => each.name === name)!;
const problemsOf = (text: string) => refusalOf(PipelineFileError, () => parseGitlabCiFile(text, onMain));

describe('artifacts and cache in the plan', () => {
  it('reads artifacts with GitLab’s defaults, and dotenv reports', () => {
    const build = job('image: alpine\nbuild:\n  script: [make]\n  artifacts:\n    paths: [dist/]\n    exclude: ["dist/**/*.map"]\n    expire_in: 2 hrs 30 min\n    reports: { dotenv: build.env, junit: report.xml }\n', 'build');
    expect(build.artifacts).toEqual({ paths: ['dist/'], exclude: ['dist/**/*.map'], untracked: false, when: 'on_success', expireInSeconds: 9000, dotenv: ['build.env'] });
    expect(job('image: alpine\nkeep:\n  script: [make]\n  artifacts: { paths: out, expire_in: never, when: always, name: "$CI_JOB_NAME-x" }\n', 'keep').artifacts).toMatchObject({
      paths: ['out'],
      expireInSeconds: null,
      when: 'always',
      name: '$CI_JOB_NAME-x',
    });
    const notes = parseGitlabCiFile('image: alpine\nbuild:\n  script: [make]\n  artifacts: { paths: [a], reports: { junit: r.xml }, expose_as: results }\n', onMain).notes;
    expect(notes).toEqual(['Ignored keywords (Slipway does not support them): `artifacts:expose_as` (build), `artifacts:reports:junit` (build).']);
  });

  it('gives each job the artifacts GitLab would: earlier stages, needs (unless artifacts: false), or dependencies', () => {
    const jobs = plan(`image: alpine
stages: [build, test, deploy]
compile: { stage: build, script: [make], artifacts: { paths: [bin/] } }
docs: { stage: build, script: [make docs], artifacts: { paths: [site/] } }
unit: { stage: test, script: [make test] }
lint: { stage: test, needs: [compile, { job: docs, artifacts: false }], script: [make lint] }
only-docs: { stage: test, dependencies: [docs], script: [ls site] }
none: { stage: test, dependencies: [], script: [echo] }
`);
    const from = Object.fromEntries(jobs.map((each) => [each.name, each.artifactsFrom]));
    expect(from).toEqual({ compile: [], docs: [], unit: ['compile', 'docs'], lint: ['compile'], 'only-docs': ['docs'], none: [] });
  });

  it('refuses dependencies on a job of a later stage or none, with the line', () => {
    expect(problemsOf('image: alpine\nlater: { stage: deploy, script: [x] }\nb:\n  script: [x]\n  dependencies: [later, ghost]\n')).toEqual([
      'b.dependencies.0 names "later", which is not a job of this stage or an earlier one: list jobs whose artifacts this job needs (line 5)',
      'b.dependencies.1 names "ghost", which is not a job of this stage or an earlier one: list jobs whose artifacts this job needs (line 5)',
    ]);
  });

  it('reads cache from the job, default: or the top level, with a policy from a variable; cache: [] turns it off', () => {
    const text = `image: alpine
variables: { POLICY: pull }
cache: { key: global, paths: [.cache/] }
a: { script: [x] }
b: { script: [x], cache: { key: { files: [package-lock.json], prefix: $CI_JOB_NAME }, paths: [node_modules/], policy: $POLICY, fallback_keys: [main-deps] } }
c: { script: [x], cache: [] }
`;
    expect(job(text, 'a').cache).toEqual([{ key: 'global', paths: ['.cache/'], untracked: false, policy: 'pull-push', when: 'on_success', fallbackKeys: [] }]);
    expect(job(text, 'b').cache).toEqual([
      { key: { files: ['package-lock.json'], prefix: '$CI_JOB_NAME' }, paths: ['node_modules/'], untracked: false, policy: 'pull', when: 'on_success', fallbackKeys: ['main-deps'] },
    ]);
    expect(job(text, 'c').cache).toBeUndefined();
    expect(problemsOf('image: alpine\na: { script: [x], cache: { paths: [x], policy: pul } }\n')).toEqual(['a.cache.policy "pul" is not a cache policy: use pull, push, pull-push (line 2)']);
    expect(problemsOf('image: alpine\na: { script: [x], cache: { key: { files: [a, b, c] }, paths: [x] } }\n')).toEqual([
      'a.cache.0.key.files must name one or two files, as in GitLab (line 2)',
    ]);
  });
});

describe('which files artifacts and caches keep', () => {
  const tracked = new Set(['README.md', 'src/app.py']);

  it('keeps a folder’s whole tree, globs, untracked files, and leaves out what exclude names', () => {
    const keep = selectPaths({ paths: ['dist/', '*.txt', 'logs/**/*.log'], exclude: ['dist/**/*.map'], untracked: false }, tracked);
    expect(['dist/app.js', 'dist/js/app.js.map', 'notes.txt', 'sub/notes.txt', 'logs/a/b.log', 'logs/b.txt', 'README.md'].filter(keep)).toEqual(['dist/app.js', 'notes.txt', 'logs/a/b.log']);
    const untracked = selectPaths({ paths: [], untracked: true }, tracked);
    expect(['README.md', 'src/app.py', 'src/app.pyc', 'report.xml'].filter(untracked)).toEqual(['src/app.pyc', 'report.xml']);
  });

  it('reads only the folders that can hold them', () => {
    expect(foldersToRead({ paths: ['dist/', 'dist/js/*.js', 'build/out/**', 'cov.xml'], untracked: false })).toEqual(['build/out', 'cov.xml', 'dist']);
    expect(foldersToRead({ paths: ['*.log', 'dist/'], untracked: false })).toEqual(['']);
    expect(foldersToRead({ paths: ['dist'], untracked: true })).toEqual(['']);
  });
});

describe('dotenv reports', () => {
  it('reads NAME=value lines, as written, and says what is wrong with a bad file', () => {
    expect(parseDotenv('VERSION=1.2.3\n\n# a comment\nURL=https://x.test/?a=b\nQUOTED="kept"\n')).toEqual({ variables: { VERSION: '1.2.3', URL: 'https://x.test/?a=b', QUOTED: '"kept"' } });
    expect(parseDotenv('1BAD=x\n')).toEqual({ error: 'line 1 is not NAME=value' });
    expect(parseDotenv(`A=${'x'.repeat(6000)}\n`)).toEqual({ error: 'is larger than 5120 bytes' });
    expect(parseDotenv(Array.from({ length: 51 }, (_, index) => `V${index}=1`).join('\n'))).toEqual({ error: 'has more than 50 variables' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys((parseDotenv('__proto__=x\n') as { variables: object }).variables)).toEqual(['__proto__']);
  });
});

describe('cache keys', () => {
  it('expands variables, hashes key:files by content behind the prefix, and reads no file outside the checkout', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-cache-key-'));
    try {
      await writeFile(path.join(dir, 'package-lock.json'), '{"v":1}');
      expect(cacheKey('deps-$CI_COMMIT_REF_SLUG', dir, { CI_COMMIT_REF_SLUG: 'main' })).toBe('deps-main');
      expect(cacheKey('$UNSET', dir, {})).toBe('default');
      const first = cacheKey({ files: ['package-lock.json'], prefix: '$CI_JOB_NAME' }, dir, { CI_JOB_NAME: 'test' });
      expect(first).toMatch(/^test-[0-9a-f]{40}$/);
      await writeFile(path.join(dir, 'package-lock.json'), '{"v":2}');
      expect(cacheKey({ files: ['package-lock.json'], prefix: '$CI_JOB_NAME' }, dir, { CI_JOB_NAME: 'test' })).not.toBe(first);

      // A link out of the checkout, or a path climbing out, hashes as a missing file: its contents are never read.
      const absent = cacheKey({ files: ['outside.json'] }, dir, {});
      await symlink('/etc/hostname', path.join(dir, 'outside.json'));
      expect(cacheKey({ files: ['outside.json'] }, dir, {})).toBe(absent);
      const nameOnly = createHash('sha256').update('../../etc/hostname\0').digest('hex').slice(0, 40);
      expect(cacheKey({ files: ['../../etc/hostname'] }, dir, {})).toBe(nameOnly);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('cache scopes', () => {
  it('keeps protected refs, other branches and forks apart, so nothing unprotected writes what a protected pipeline restores', () => {
    const facts = (ref: string, fromFork = false) => ({ ref, defaultBranch: 'main', fromFork });
    expect(cacheScope(facts('main'), [])).toBe('protected');
    expect(cacheScope(facts('release/1.2'), ['release/*'])).toBe('protected');
    expect(cacheScope(facts('feature/x'), ['release/*'])).toBe('unprotected');
    // A fork's branch may be called main; it is still a fork.
    expect(cacheScope(facts('main', true), [])).toBe('fork');
  });
});
