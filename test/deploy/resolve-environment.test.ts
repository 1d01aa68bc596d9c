import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy-file.js';
import { allEnvironments, environmentOf, projectsWith, resolveEnvironment } from '../../src/deploy/resolve-environment.js';

const policy = parsePolicy(`
projects:
  group/app:
    environments:
      prod: { approvers: [U01] }
      staging: { approvers: [U01] }
      "review/*": { approval: none }
  group/api:
    environments:
      prod: { approvers: [U02] }
`);

describe('resolving an environment from what a person typed', () => {
  it('finds an environment only one project has', () => {
    const resolved = resolveEnvironment(policy, 'staging');

    expect(resolved.ok && resolved.ref).toMatchObject({ project: 'group/app', environment: 'staging', policy: { approvers: ['U01'] } });
  });

  it('takes group/app:prod, the form /deploy help advertises', () => {
    const resolved = resolveEnvironment(policy, 'group/api:prod');

    expect(resolved.ok && resolved.ref).toMatchObject({ project: 'group/api', environment: 'prod' });
  });

  it('asks which project when several have the environment', () => {
    expect(resolveEnvironment(policy, 'prod')).toEqual({ ok: false, reason: 'several projects have an environment called prod: say which, as group/app:prod or group/api:prod' });
  });

  it.each(['constructor', '__proto__', 'toString', 'group/app:constructor', 'moon'])('refuses %s, listing what exists', (spec) => {
    const resolved = resolveEnvironment(policy, spec);

    expect(resolved.ok).toBe(false);
    expect(!resolved.ok && resolved.reason).toBe(`there is no environment called ${spec}; known: group/app:prod, group/app:staging, group/api:prod`);
  });

  it('refuses a review app’s environment, which deploys in the pipeline, and lists it nowhere /deploy looks', () => {
    expect(resolveEnvironment(policy, 'review/feature-x')).toEqual({
      ok: false,
      reason: 'review/feature-x is a review app’s environment (review/*: approval: none in SLIPWAY_CONFIG): its deploy jobs run in the pipeline, and its on_stop job when the merge request closes, without /deploy',
    });
    expect(environmentOf(policy, 'group/app', 'review/*')).toBeUndefined();
    expect(projectsWith(policy, 'review/*')).toEqual([]);
    expect(allEnvironments(policy).map((ref) => ref.environment)).toEqual(['prod', 'staging', 'prod']);
  });

  it('lists and looks up environments by their own keys only', () => {
    expect(allEnvironments(policy).map((ref) => `${ref.project}:${ref.environment}`)).toEqual(['group/app:prod', 'group/app:staging', 'group/api:prod']);
    expect(projectsWith(policy, 'prod')).toEqual(['group/app', 'group/api']);
    expect(projectsWith(policy, 'constructor')).toEqual([]);
    expect(environmentOf(policy, 'group/app', 'hasOwnProperty')).toBeUndefined();
    expect(environmentOf(policy, '__proto__', 'prod')).toBeUndefined();
  });
});
