import { describe, expect, it } from 'vitest';
import { repositoryPath } from '../../src/pipeline/image-names.js';

/** The registry's own grammar for a repository name (distribution/reference's `path-component`s). */
const DISTRIBUTION_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

describe('a project’s registry repository', () => {
  it('is its own: paths the registry would not take as they are never fold into another project’s', () => {
    const paths = ['acme/app', 'acme/_app', 'acme/.app', 'acme/app_', 'acme/a--pp', 'acme/x--6170', 'acme/App'].map(repositoryPath);

    expect(paths.slice(0, 6)).toEqual(['acme/app', 'acme/x--5f617070', 'acme/x--2e617070', 'acme/x--6170705f', 'acme/a--pp', 'acme/x--782d2d36313730']);
    expect(new Set(paths.slice(0, 6)).size).toBe(6);
    // Both forges read paths without regard to case: Acme/App is acme/app.
    expect(paths[6]).toBe('acme/app');
  });

  it('is $CI_REGISTRY/$CI_PROJECT_PATH for an ordinary path, as in GitLab’s own registry', () => {
    expect(repositoryPath('group/sub.group/my-app')).toBe('group/sub.group/my-app');
  });

  it('keeps the names of Slipway’s own repositories beside a project’s out of reach of a subproject', () => {
    expect(repositoryPath('acme/app/environments')).toBe('acme/app/x--656e7669726f6e6d656e7473');
    expect(repositoryPath('acme/slipway-cache')).toBe('acme/x--736c69707761792d6361636865');
  });

  it('is always a name the registry accepts, however long or strange the path', () => {
    for (const project of ['grüne/äpfel', `${'deep/'.repeat(40)}app`, 'a/b c', 'UPPER/Case']) {
      const repository = repositoryPath(project);
      expect(repository.length, project).toBeLessThanOrEqual(180);
      expect(repository, project).toMatch(DISTRIBUTION_NAME);
    }
  });
});
