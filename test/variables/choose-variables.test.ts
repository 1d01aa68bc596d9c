import { describe, expect, it } from 'vitest';
import { cacheScope, isProtectedRef, protectedPatterns } from '../../src/variables/choose-variables.js';

describe('which refs are protected', () => {
  const facts = { ref: 'release/1.2', defaultBranch: 'main', fromFork: false, forgeProtectedRefs: ['release/*'] };

  it('takes the server policy’s patterns and the forge’s own protected branches together', () => {
    expect(protectedPatterns(['stable'], facts)).toEqual(['stable', 'release/*']);
    expect(cacheScope(facts, protectedPatterns([], facts))).toBe('protected');
    expect(cacheScope(facts, protectedPatterns([], { forgeProtectedRefs: [] }))).toBe('unprotected');
  });

  it('protects the default branch, and nothing when there is none and no pattern', () => {
    expect(isProtectedRef('main', 'main', [])).toBe(true);
    expect(isProtectedRef('feature', null, [])).toBe(false);
  });
});
