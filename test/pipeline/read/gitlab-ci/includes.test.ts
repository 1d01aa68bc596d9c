import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGitlabCiFile } from '../../../../src/pipeline/read/gitlab-ci/read-gitlab-ci.js';
import { IncludesNeeded, requestKey, type FetchedInclude, type IncludeRequest, type IncludeSources } from '../../../../src/pipeline/read/gitlab-ci/resolve-includes.js';
import { PipelineFileError } from '../../../../src/pipeline/read/pipeline-file-error.js';
import type { ScriptJobSpec } from '../../../../src/pipeline/plan.js';
import { readFetchingIncludes } from '../../../../src/pipeline/read/fetch-includes-between-reads.js';
import { readPipeline } from '../../../../src/pipeline/read/read-pipeline.js';
import { refusalOf } from '../../../helpers/refusal.js';

const onMain = { CI_COMMIT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'main', CI_DEFAULT_BRANCH: 'main', CI_PIPELINE_SOURCE: 'push', CI_PROJECT_PATH: 'team/app' };

/** A commit's files in memory, and what other projects and URLs would answer. */
function sources(local: Record<string, string>, fetched: Record<string, FetchedInclude> = {}): IncludeSources {
  return { readLocal: (name) => local[name], localFiles: () => Object.keys(local), fetched: new Map(Object.entries(fetched)) };
}

function plan(text: string, local: Record<string, string> = {}, fetched: Record<string, FetchedInclude> = {}, variables: Record<string, string> = onMain) {
  return parseGitlabCiFile(text, variables, {}, undefined, sources(local, fetched));
}

const problemsOf = (text: string, local: Record<string, string> = {}, fetched: Record<string, FetchedInclude> = {}): string[] =>
  refusalOf(PipelineFileError, () => plan(text, local, fetched));

const jobsOf = (result: ReturnType<typeof plan>) => result.jobs as ScriptJobSpec[];

describe('include:local', () => {
  it('merges included files first and the including file over them, mappings key by key, lists replaced', () => {
    const result = plan('include: ci/base.yml\nvariables: { LEVEL: main }\ntest:\n  script: [make test]\n', {
      'ci/base.yml': 'image: alpine:3\nvariables: { LEVEL: base, ONLY_BASE: "yes" }\ntest:\n  stage: test\n  script: [echo base]\n  variables: { FROM: base }\nlint:\n  script: [make lint]\n',
    });
    const [lint, test] = [...jobsOf(result)].sort((a, b) => a.name.localeCompare(b.name));
    expect(test!.script).toEqual(['make test']);
    expect(test!.image).toBe('alpine:3');
    expect(test!.variables).toEqual({ LEVEL: 'main', ONLY_BASE: 'yes', FROM: 'base' });
    expect(lint!.script).toEqual(['make lint']);
  });

  it('reads nested includes before the file that names them, and later includes over earlier ones', () => {
    const result = plan('image: alpine\ninclude:\n  - /ci/a.yml\n  - local: ci/b.yml\n', {
      'ci/a.yml': 'include: ci/a-inner.yml\njob:\n  script: [from a]\n',
      'ci/a-inner.yml': 'job:\n  script: [from inner]\n  variables: { INNER: "1" }\n',
      'ci/b.yml': 'job:\n  variables: { B: "1" }\n',
    });
    expect(jobsOf(result)[0]).toMatchObject({ name: 'job', script: ['from a'], variables: { INNER: '1', B: '1' } });
  });

  it('includes every YAML file a glob matches, in name order, and extends across files', () => {
    const result = plan('image: alpine\ninclude: "ci/**/*.yml"\ntest:\n  extends: .template\n', {
      'ci/jobs/b.yml': '.template:\n  script: [second]\n',
      'ci/a.yml': '.template:\n  script: [first]\n  variables: { A: "1" }\n',
      'ci/notes.txt': 'not yaml',
    });
    expect(jobsOf(result)[0]).toMatchObject({ name: 'test', script: ['second'], variables: { A: '1' } });
  });

  it('expands the pipeline variables in paths and decides include rules with them', () => {
    const files = { 'ci/main.yml': 'image: alpine\nmain-only:\n  script: [deploy]\n', 'ci/all.yml': 'image: alpine\neverywhere:\n  script: [test]\n' };
    const text = 'include:\n  - local: ci/$CI_DEFAULT_BRANCH.yml\n    rules:\n      - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n  - local: ci/all.yml\n';
    expect(jobsOf(plan(text, files)).map((job) => job.name)).toEqual(['main-only', 'everywhere']);
    const onBranch = { ...onMain, CI_COMMIT_BRANCH: 'feature', CI_COMMIT_REF_NAME: 'feature' };
    expect(jobsOf(plan(text, files, {}, onBranch)).map((job) => job.name)).toEqual(['everywhere']);
  });

  it('refuses a missing file, a cycle, a bad rule and a mistake inside an included file, each with its file and line', () => {
    expect(problemsOf('include:\n  - local: ci/missing.yml\n')).toEqual(['include.0.local names ci/missing.yml, which is not in this commit: add the file or fix the path (line 2)']);
    expect(problemsOf('include: ci/settings.json\n', { 'ci/settings.json': '{}' })).toEqual(['include names ci/settings.json: an included file must end in .yml or .yaml (line 1)']);
    expect(problemsOf('include: ci/a.yml\n', { 'ci/a.yml': 'include: ci/b.yml\n', 'ci/b.yml': 'include: ci/a.yml\n' })).toEqual([
      'include includes ci/a.yml through itself (.gitlab-ci.yml -> ci/a.yml -> ci/b.yml -> ci/a.yml) (line 1 of ci/b.yml)',
    ]);
    expect(problemsOf('include:\n  - local: ci/a.yml\n    rules:\n      - if: $A ==\n', { 'ci/a.yml': 'a: { script: [x] }\n' })).toEqual([
      'include.0.rules.0.if is not an expression Slipway understands: the expression ends too early (line 4)',
    ]);
    expect(problemsOf('image: alpine\ninclude: ci/jobs.yml\n', { 'ci/jobs.yml': '# jobs\n\ntest:\n  stage: nowhere\n  script: [make]\n' })).toEqual([
      'test.stage "nowhere" is not one of the stages: build, test, deploy (line 4 of ci/jobs.yml)',
    ]);
    expect(problemsOf('include: ci/broken.yml\n', { 'ci/broken.yml': 'test: [unclosed\n' })).toEqual(['ci/broken.yml is not valid YAML: a [ is not closed: close it with ], or put the value in quotes (at the end of the file, line 1)']);
  });

  it('keeps a key named __proto__ a key', () => {
    const result = plan('image: alpine\ninclude: ci/a.yml\n', { 'ci/a.yml': 'test:\n  script: [make]\n  variables:\n    __proto__: { polluted: "yes" }\n' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(jobsOf(result)[0]!.name).toBe('test');
  });

  it('stops at GitLab’s bound of 150 included files', () => {
    const many = Object.fromEntries(Array.from({ length: 151 }, (_, index) => [`ci/job-${String(index).padStart(3, '0')}.yml`, `job-${index}: { script: [x] }\n`]));
    expect(problemsOf('image: alpine\ninclude: "ci/*.yml"\n', many)).toEqual(['include is past the 150 files a pipeline may include (line 2)']);
  });
});

describe('include:project, include:remote, include:template and include:component', () => {
  const project = (file: string, ref?: string): IncludeRequest => ({ kind: 'project', project: 'platform/ci', ...(ref ? { ref } : {}), file });

  it('asks for every project and remote file it does not have yet, all at once', () => {
    const text = 'include:\n  - project: platform/ci\n    ref: v2\n    file: [/templates/a.yml, templates/b.yml]\n  - remote: https://ci.example.com/base.yml\n';
    let needed: IncludeRequest[] = [];
    try {
      plan(text);
    } catch (error) {
      if (!(error instanceof IncludesNeeded)) throw error;
      needed = error.requests;
    }
    expect(needed).toEqual([project('templates/a.yml', 'v2'), project('templates/b.yml', 'v2'), { kind: 'remote', url: 'https://ci.example.com/base.yml' }]);
  });

  it('reads a project file’s own local includes from that project, at the same ref', () => {
    const fetched = {
      [requestKey(project('templates/a.yml', 'v2'))]: { text: 'include: templates/inner.yml\n.a: { image: alpine }\n' },
      [requestKey(project('templates/inner.yml', 'v2'))]: { text: '.inner: { script: [from inner] }\n' },
    };
    const result = plan('include: { project: platform/ci, ref: v2, file: templates/a.yml }\ntest:\n  extends: [.a, .inner]\n', {}, fetched);
    expect(jobsOf(result)[0]).toMatchObject({ image: 'alpine', script: ['from inner'] });
  });

  it('says why a file could not be fetched, and refuses a name that is not YAML', () => {
    expect(problemsOf('include: { project: platform/ci, file: templates/a.yml }\n', {}, { [requestKey(project('templates/a.yml'))]: { error: 'platform/ci has no file templates/a.yml at its default branch' } })).toEqual([
      'include.file could not be read: platform/ci has no file templates/a.yml at its default branch (line 1)',
    ]);
    expect(problemsOf('include: { project: platform/ci, file: templates/a.json }\n')).toEqual(['include.file names templates/a.json: an included file must end in .yml or .yaml (line 1)']);
  });

  it('refuses a GitLab template by name, and lists an unread component among the ignored keywords', () => {
    expect(problemsOf('include:\n  - template: Security/SAST.gitlab-ci.yml\ntest: { image: alpine, script: [make] }\n')).toEqual([
      "include.0.template includes GitLab's template Security/SAST.gitlab-ci.yml, which only GitLab has: copy the template into the repository and include it with local: (of GitLab's templates Slipway knows only Workflows/MergeRequest-Pipelines.gitlab-ci.yml and Workflows/Branch-Pipelines.gitlab-ci.yml, by name) (line 2)",
    ]);
    const result = plan('include:\n  - component: gitlab.example.com/ci/lint@1\ntest: { image: alpine, script: [make] }\n');
    expect(result.notes).toContain('Ignored keywords (Slipway does not support them): `include:component` (line 2).');
  });

  it('fetches level by level until the tree is complete, each file once', async () => {
    const files: Record<string, string> = {
      'templates/a.yml': 'include: { project: platform/other, file: b.yml }\n.a: { image: alpine }\n',
      'b.yml': '.b: { script: [from b] }\n',
    };
    const asked: string[] = [];
    const fetchInclude = async (request: IncludeRequest): Promise<FetchedInclude> => {
      asked.push(requestKey(request));
      return request.kind === 'project' && files[request.file] ? { text: files[request.file]! } : { error: 'not found' };
    };
    const result = await readFetchingIncludes(
      async (fetched) => parseGitlabCiFile('include: { project: platform/ci, file: templates/a.yml }\ntest: { extends: [.a, .b] }\n', onMain, {}, undefined, { ...sources({}), fetched }),
      fetchInclude,
    );
    expect(jobsOf(result)[0]).toMatchObject({ image: 'alpine', script: ['from b'] });
    expect(asked).toEqual(['project platform/ci@:templates/a.yml', 'project platform/other@:b.yml']);
  });

  it('without a fetcher (a local run with no forge), names what it could not fetch', async () => {
    await expect(readFetchingIncludes(async (fetched) => parseGitlabCiFile('include: { remote: "https://ci.example.com/a.yml" }\n', onMain, {}, undefined, { ...sources({}), fetched }))).rejects.toThrow(
      'include remote https://ci.example.com/a.yml cannot be fetched here: only local includes can be read without a forge',
    );
  });
});

describe('include:local from a checkout on disk', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads included files of the commit and refuses a link that leads out of it', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-include-'));
    await mkdir(path.join(dir, 'ci'));
    await writeFile(path.join(dir, '.gitlab-ci.yml'), 'image: alpine\ninclude: ci/jobs.yml\n');
    await writeFile(path.join(dir, 'ci/jobs.yml'), 'test:\n  script: [make test]\n');
    expect((await readPipeline(dir, { variables: onMain })).jobs.map((job) => job.name)).toEqual(['test']);

    await symlink('/etc/passwd', path.join(dir, 'ci/escape.yml'));
    await writeFile(path.join(dir, '.gitlab-ci.yml'), 'image: alpine\ninclude: ci/escape.yml\n');
    await expect(readPipeline(dir, { variables: onMain })).rejects.toThrow('ci/escape.yml: ci/escape.yml leads outside the repository');
  });
});
