import type { PipelineFacts } from '../../src/model/pipeline-facts.js';

/** A push to `main` of `group/app` on GitLab, no fork, no change request, with `overrides`. */
export function exampleFacts(overrides: Partial<PipelineFacts> = {}): PipelineFacts {
  return {
    id: '41',
    forge: 'gitlab',
    project: 'group/app',
    sha: 'c0ffee'.padEnd(40, '0'),
    ref: 'main',
    defaultBranch: 'main',
    changeRequest: null,
    fromFork: false,
    diffBase: null,
    forgeProtectedRefs: [],
    registry: 'registry.test',
    ...overrides,
  };
}
