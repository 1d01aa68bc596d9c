import type { PipelineFacts } from '../../src/model/pipeline-facts.js';
import { describe, expect, it } from 'vitest';
import { environmentSlug, expandVariables, predefinedVariables, refSlug } from '../../src/pipeline/predefined-variables.js';

const facts: PipelineFacts = { id: '41', forge: 'gitlab', project: 'Team/Hello.World', sha: '0123456789abcdef0123456789abcdef01234567', ref: 'feature/Login', defaultBranch: 'main', changeRequest: null, fromFork: false, diffBase: null, forgeProtectedRefs: [], registry: 'registry.example:5000' };

describe('predefined CI_* variables', () => {
  it('give a branch pipeline GitLab’s names and meanings', () => {
    expect(predefinedVariables(facts, { jobToken: 'slipway-token', projectDir: '/workspace' })).toEqual({
      CI: 'true',
      GITLAB_CI: 'true',
      CI_PIPELINE_ID: '41',
      CI_PIPELINE_SOURCE: 'push',
      CI_PROJECT_PATH: 'Team/Hello.World',
      CI_PROJECT_NAME: 'Hello.World',
      CI_PROJECT_NAMESPACE: 'Team',
      CI_PROJECT_DIR: '/workspace',
      CI_COMMIT_SHA: facts.sha,
      CI_COMMIT_SHORT_SHA: '01234567',
      CI_COMMIT_REF_NAME: 'feature/Login',
      CI_COMMIT_REF_SLUG: 'feature-login',
      CI_COMMIT_BRANCH: 'feature/Login',
      // A push whose previous commit is not known (a new branch), in GitLab's words.
      CI_COMMIT_BEFORE_SHA: '0000000000000000000000000000000000000000',
      CI_DEFAULT_BRANCH: 'main',
      CI_REGISTRY: 'registry.example:5000',
      CI_REGISTRY_IMAGE: 'registry.example:5000/team/hello.world',
      CI_REGISTRY_USER: 'gitlab-ci-token',
      CI_REGISTRY_PASSWORD: 'slipway-token',
      CI_JOB_TOKEN: 'slipway-token',
    });
  });

  it('give a merge request pipeline its IID and source branch, and no CI_COMMIT_BRANCH, as GitLab does', () => {
    const variables = predefinedVariables({ ...facts, changeRequest: 7, diffBase: 'main' });
    expect(variables).toMatchObject({ CI_PIPELINE_SOURCE: 'merge_request_event', CI_MERGE_REQUEST_IID: '7', CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'feature/Login', CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main' });
    expect(predefinedVariables({ ...facts, diffBase: 'f'.repeat(40) }).CI_COMMIT_BEFORE_SHA).toBe('f'.repeat(40));
    expect(variables).not.toHaveProperty('CI_COMMIT_BRANCH');
    expect(variables).not.toHaveProperty('CI_JOB_TOKEN');
  });

  it('slug refs as GitLab does', () => {
    expect(refSlug('Feature/ÜBER_long--name')).toBe('feature-ber-long-name');
    expect(refSlug('x'.repeat(70))).toHaveLength(63);
  });

  it('expand $NAME and ${NAME}, leave $$ as one $, and expand an unknown name to nothing', () => {
    const variables = { CI_REGISTRY_IMAGE: 'r/p', CI_COMMIT_SHORT_SHA: 'abc' };
    expect(expandVariables('$CI_REGISTRY_IMAGE:${CI_COMMIT_SHORT_SHA}', variables)).toBe('r/p:abc');
    expect(expandVariables('cost: $$5 $UNSET.', variables)).toBe('cost: $5 .');
  });

  it('slug an environment name as GitLab does (its own spec table), with a suffix from the name’s hash where the slug changed it', () => {
    // GitLab's spec stubs the hash with 64 a's, whose base-36 tail is q517sa.
    const stubbed = () => 'a'.repeat(64);
    const table: Array<[string, string]> = [
      ['staging-12345678901234567', 'staging-123456789-q517sa'],
      ['9-staging-123456789012345', 'env-9-staging-123-q517sa'],
      ['staging-1234567890123456', 'staging-1234567890123456'],
      ['staging-1234567890123456-', 'staging-123456789-q517sa'],
      ['production', 'production'],
      ['PRODUCTION', 'production-q517sa'],
      ['review/1-foo', 'review-1-foo-q517sa'],
      ['1-foo', 'env-1-foo-q517sa'],
      ['1/foo', 'env-1-foo-q517sa'],
      ['foo-', 'foo'],
      ['foo--bar', 'foo-bar-q517sa'],
      ['foo**bar', 'foo-bar-q517sa'],
      ['*-foo', 'env-foo-q517sa'],
      ['staging-12345678-', 'staging-12345678'],
      ['staging-12345678-01234567', 'staging-12345678-q517sa'],
      ['', 'env-q517sa'],
    ];
    expect(table.map(([name]) => [name, environmentSlug(name, stubbed)])).toEqual(table);
    expect(environmentSlug('review/a')).not.toBe(environmentSlug('review-a/'));
  });
});
