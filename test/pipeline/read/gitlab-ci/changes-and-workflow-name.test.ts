import { describe, expect, it } from 'vitest';
import { changedFiles } from '../../../../src/pipeline/read/gitlab-ci/changed-files.js';
import { parseGitlabCiFile } from '../../../../src/pipeline/read/gitlab-ci/read-gitlab-ci.js';
import { IncludesNeeded, requestKey, type FetchedInclude, type IncludeRequest } from '../../../../src/pipeline/read/gitlab-ci/resolve-includes.js';
import { readFetchingIncludes } from '../../../../src/pipeline/read/fetch-includes-between-reads.js';

const push = { CI_COMMIT_BRANCH: 'feature', CI_COMMIT_REF_NAME: 'feature', CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BEFORE_SHA: 'b'.repeat(40) };
const mergeRequest = { CI_COMMIT_REF_NAME: 'feature', CI_PIPELINE_SOURCE: 'merge_request_event', CI_MERGE_REQUEST_IID: '4', CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main' };

const FILE = `image: alpine
docs:
  rules:
    - changes: ["docs/**/*", README.md]
  script: [make docs]
backend:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
      changes:
        paths: [api/**/*.py]
        compare_to: refs/heads/develop
    - changes: [api/**/*.py]
  script: [make test]
always:
  script: [make lint]
`;

/** A commit whose every file exists, and whose changes come from what was fetched. */
const checkout = (variables: Record<string, string>, fetched: ReadonlyMap<string, FetchedInclude>) => ({ exists: () => true, ...changedFiles(variables, fetched) });

/** The plan's job names, with the changed files the forge would report for each comparison. */
async function jobsFor(variables: Record<string, string>, changed: Record<string, string[] | { error: string }>) {
  const asked: string[] = [];
  const plan = await readFetchingIncludes(
    async (fetched) => parseGitlabCiFile(FILE, variables, {}, checkout(variables, fetched), { readLocal: () => undefined, localFiles: () => [], fetched }),
    async (request: IncludeRequest): Promise<FetchedInclude> => {
      if (request.kind !== 'changes') throw new Error('only changes are asked for here');
      asked.push(request.base);
      const files = changed[request.base];
      return files === undefined ? { error: 'unknown base' } : Array.isArray(files) ? { text: files.join('\n') } : files;
    },
  );
  return { jobs: plan.jobs.map((job) => job.name), asked, notes: plan.notes ?? [] };
}

describe('rules:changes', () => {
  it('on a push, compares with the commit before it', async () => {
    expect(await jobsFor(push, { ['b'.repeat(40)]: ['docs/guide/intro.md', 'web/app.js'] })).toMatchObject({ jobs: ['docs', 'always'], asked: ['b'.repeat(40)] });
    expect((await jobsFor(push, { ['b'.repeat(40)]: ['api/users/views.py'] })).jobs).toEqual(['backend', 'always']);
  });

  it('in a merge request, compares with its target branch, or with compare_to', async () => {
    const result = await jobsFor(mergeRequest, { main: ['README.md'], 'refs/heads/develop': ['api/app.py'] });
    expect(result.jobs).toEqual(['docs', 'backend', 'always']);
    expect(result.asked.sort()).toEqual(['main', 'refs/heads/develop']);
  });

  it('counts as changed when there is nothing to compare with (a new branch), as GitLab does', async () => {
    const newBranch = { ...push, CI_COMMIT_BEFORE_SHA: '0'.repeat(40) };
    expect(await jobsFor(newBranch, {})).toMatchObject({ jobs: ['docs', 'backend', 'always'], asked: [] });
  });

  it('counts as changed, and says so, when the forge cannot compare', async () => {
    const result = await jobsFor(push, { ['b'.repeat(40)]: { error: 'GitLab answered 500' } });
    expect(result.jobs).toEqual(['docs', 'backend', 'always']);
    expect(result.notes).toContain(`\`rules:changes\` could not compare with ${'b'.repeat(40)} (GitLab answered 500), so its rules were taken to match.`);
  });

  it('asks only when an if before it holds', () => {
    const text = 'image: alpine\nx:\n  rules:\n    - if: $NEVER\n      changes: [a]\n  script: [x]\n';
    const nothingFetched = { readLocal: () => undefined, localFiles: () => [], fetched: new Map() };
    expect(parseGitlabCiFile(text, push, {}, checkout(push, new Map()), nothingFetched).jobs).toEqual([]);
    let asked: IncludeRequest[] = [];
    try {
      parseGitlabCiFile('image: alpine\nx:\n  rules:\n    - changes: [a]\n  script: [x]\n', push, {}, checkout(push, new Map()), nothingFetched);
    } catch (error) {
      if (!(error instanceof IncludesNeeded)) throw error;
      asked = error.requests;
    }
    expect(asked.map(requestKey)).toEqual([`changes ${'b'.repeat(40)}`]);
  });

  it('refuses a changes entry that is not a list of globs, with its line', () => {
    expect(() => parseGitlabCiFile('image: alpine\nx:\n  rules:\n    - changes: { compare_to: main }\n  script: [x]\n', push)).toThrow('x.rules.0.changes must be a list of file paths or globs, or a mapping with paths (and compare_to) (line 4)');
  });
});

describe('workflow:name', () => {
  it('names the pipeline with the pipeline’s and the matching rule’s variables, and refuses one past 255 characters', () => {
    const text = `image: alpine
variables: { KIND: build }
workflow:
  name: "$KIND for $CI_COMMIT_REF_NAME"
  rules:
    - if: $CI_COMMIT_REF_NAME == "feature"
      variables: { KIND: Preview }
    - when: always
x: { script: [x] }
`;
    expect(parseGitlabCiFile(text, push).name).toBe('Preview for feature');
    expect(parseGitlabCiFile(text, { ...push, CI_COMMIT_REF_NAME: 'main' }).name).toBe('build for main');
    expect(() => parseGitlabCiFile(`image: alpine\nworkflow: { name: "${'x'.repeat(256)}" }\nx: { script: [x] }\n`, push)).toThrow('workflow.name must be at most 255 characters, as in GitLab (line 2)');
  });
});
