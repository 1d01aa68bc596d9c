import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGitlabCiFile } from '../../../src/pipeline/gitlab-ci/read-gitlab-ci.js';
import { PipelineFileError } from '../../../src/pipeline/pipeline-file-error.js';

/** Real-world files nobody on the team wrote, each with where it came from and whether GitLab accepts it. */
const CORPUS = path.resolve(import.meta.dirname, '../../../../shared/corpus/gitlab-ci');
const accepted = readdirSync(CORPUS)
  .filter((file) => file.endsWith('.yml'))
  .filter((file) => (JSON.parse(readFileSync(path.join(CORPUS, `${file}.source.json`), 'utf8')) as { gitlab_accepts: boolean }).gitlab_accepts);

const onDefaultBranch = { CI_COMMIT_BRANCH: 'main', CI_DEFAULT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'main', CI_PIPELINE_SOURCE: 'push' };

function refusals(options: { defaultImage?: string }): Map<string, string[]> {
  const refused = new Map<string, string[]>();
  for (const file of accepted) {
    try {
      parseGitlabCiFile(readFileSync(path.join(CORPUS, file), 'utf8'), onDefaultBranch, options);
    } catch (error) {
      if (!(error instanceof PipelineFileError)) throw error;
      refused.set(file, error.problems);
    }
  }
  return refused;
}

describe('the corpus of .gitlab-ci.yml files GitLab accepts', () => {
  it('holds enough files to mean something', () => {
    expect(accepted.length).toBeGreaterThanOrEqual(40);
  });

  it('with SLIPWAY_DEFAULT_IMAGE, refuses no file for a missing image, and none for its services', () => {
    const problems = [...refusals({ defaultImage: 'debian:bookworm' })].flatMap(([file, list]) => list.map((problem) => `${file}: ${problem}`));
    expect(problems.filter((problem) => /has no image/.test(problem))).toEqual([]);
    expect(problems.filter((problem) => /\.services\b|service/i.test(problem))).toEqual([]);
  });

  it('without it, refuses exactly the files with an image-less job, naming SLIPWAY_DEFAULT_IMAGE', () => {
    const withDefault = refusals({ defaultImage: 'debian:bookworm' });
    const without = refusals({});
    const onlyForImage = [...without].filter(([file]) => !withDefault.has(file));
    expect(onlyForImage.length).toBeGreaterThan(0);
    for (const [, problems] of onlyForImage) expect(problems.every((problem) => problem.includes('start Slipway with SLIPWAY_DEFAULT_IMAGE'))).toBe(true);
  });

  it('plans at least the share it planned when this test was written (a floor that only rises)', () => {
    const planned = accepted.length - refusals({ defaultImage: 'debian:bookworm' }).size;
    expect(planned).toBeGreaterThanOrEqual(43);
  });

  it('names what it does not support in every refusal of a file GitLab accepts (today: include)', () => {
    for (const [file, problems] of refusals({ defaultImage: 'debian:bookworm' })) {
      expect(problems, file).toEqual([expect.stringContaining('include: (line ')]);
    }
  });
});
