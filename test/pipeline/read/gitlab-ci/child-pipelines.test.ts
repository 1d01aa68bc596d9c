import { describe, expect, it } from 'vitest';
import type { ScriptJobSpec } from '../../../../src/pipeline/plan.js';
import { parseGitlabCiFile } from '../../../../src/pipeline/read/gitlab-ci/read-gitlab-ci.js';
import { prerequisitesOf } from '../../../../src/pipeline/run/engine.js';
import type { IncludeSources } from '../../../../src/pipeline/read/gitlab-ci/resolve-includes.js';
import { PipelineFileError } from '../../../../src/pipeline/read/pipeline-file-error.js';
import { refusalOf } from '../../../helpers/refusal.js';

const onMain = { CI_COMMIT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'main', CI_DEFAULT_BRANCH: 'main', CI_PIPELINE_SOURCE: 'push', CI_PROJECT_PATH: 'team/app' };

/** A commit's files in memory. */
function sources(local: Record<string, string>): IncludeSources {
  return { readLocal: (name) => local[name], localFiles: () => Object.keys(local), fetched: new Map() };
}

const plan = (text: string, local: Record<string, string>) => parseGitlabCiFile(text, onMain, {}, undefined, sources(local));
const shape = (jobs: readonly ScriptJobSpec[]) => jobs.map((job) => [job.name, job.stage, job.needs ?? null, job.downstream ?? null]);

const PARENT = `image: busybox
stages: [build, deploy, verify]
variables: { GLOBAL: from-the-parent-file }
build: { stage: build, script: [make] }
services-child:
  stage: deploy
  variables: { PASSED: passed-down }
  trigger:
    include: ci/services.yml
    strategy: depend
verify: { stage: verify, script: [check] }
`;

const CHILD = `image: busybox
stages: [test, publish]
variables: { PASSED: the-child-default, OWN: child-own }
test:
  stage: test
  script: [echo "$PASSED $GLOBAL $CI_PIPELINE_SOURCE"]
  rules:
    - if: $CI_PIPELINE_SOURCE == "parent_pipeline"
lint: { stage: test, script: [lint] }
publish:
  stage: publish
  script: [publish]
  artifacts: { paths: [dist] }
pushed-only:
  script: [never here]
  rules: [{ if: $CI_PIPELINE_SOURCE == "push" }]
`;

describe('child pipelines (trigger:include of this commit’s files)', () => {
  it('plan the child’s jobs into the trigger job’s stage, in their own order, as GitLab reads a child pipeline', () => {
    const result = plan(PARENT, { 'ci/services.yml': CHILD });
    const depend = { trigger: 'services-child', depend: true };

    expect(shape(result.jobs as ScriptJobSpec[])).toEqual([
      ['build', 'build', null, null],
      ['services-child » test', 'deploy', [], { ...depend, job: 'test' }],
      ['services-child » lint', 'deploy', [], { ...depend, job: 'lint' }],
      ['services-child » publish', 'deploy', ['services-child » test', 'services-child » lint'], { ...depend, job: 'publish' }],
      ['verify', 'verify', null, null],
    ]);
    // The child's rules see CI_PIPELINE_SOURCE=parent_pipeline: its push-only job is not in it.
    expect(result.notes?.join('\n')).toContain('In the child pipeline of `services-child`: Not in this pipeline: `pushed-only`');
  });

  it('passes the trigger job’s and the file’s variables down, over the child’s own, unless forward:yaml_variables is false', () => {
    const passed = plan(PARENT, { 'ci/services.yml': CHILD }).jobs.find((job) => job.name === 'services-child » test') as ScriptJobSpec;
    const kept = plan(PARENT.replace('strategy: depend', 'forward: { yaml_variables: false }'), { 'ci/services.yml': CHILD }).jobs.find((job) => job.name === 'services-child » test') as ScriptJobSpec;

    expect(passed.variables).toMatchObject({ PASSED: 'passed-down', GLOBAL: 'from-the-parent-file', OWN: 'child-own' });
    expect(kept.variables).toMatchObject({ PASSED: 'the-child-default', OWN: 'child-own' });
    expect(kept.variables).not.toHaveProperty('GLOBAL');
    expect(kept.downstream).toEqual({ trigger: 'services-child', job: 'test', depend: false });
  });

  it('takes artifacts only from jobs of its own child', () => {
    const publish = plan(PARENT, { 'ci/services.yml': CHILD }).jobs.find((job) => job.name === 'services-child » publish') as ScriptJobSpec;

    expect(publish.artifactsFrom).toEqual(['services-child » test', 'services-child » lint']);
  });

  it('reads a need of the trigger job as a need of its child’s jobs with strategy: depend, and of nothing without', () => {
    const needing = `${PARENT}report: { stage: verify, needs: [services-child, build], script: [report] }\n`;
    const depend = plan(needing, { 'ci/services.yml': CHILD }).jobs.find((job) => job.name === 'report') as ScriptJobSpec;
    const detached = plan(needing.replace('strategy: depend', 'forward: { yaml_variables: true }'), { 'ci/services.yml': CHILD }).jobs.find((job) => job.name === 'report') as ScriptJobSpec;

    expect(depend.needs).toEqual(['services-child » test', 'services-child » lint', 'services-child » publish', 'build']);
    expect(depend.artifactsFrom).toEqual(['build']);
    expect(detached.needs).toEqual(['build']);
  });

  it('starts a child once its trigger job’s own needs are done, not after the whole earlier stage, as GitLab starts a trigger job with needs', () => {
    const result = plan(
      `image: busybox
stages: [build, deploy]
slow: { stage: build, script: [sleep 60] }
lint: { stage: build, script: [lint] }
services-child:
  stage: deploy
  needs: [lint]
  trigger: { include: ci/services.yml }
`,
      { 'ci/services.yml': CHILD },
    );
    const prerequisites = prerequisitesOf(result.jobs);
    const waitsFor = (name: string) => prerequisites[result.jobs.findIndex((job) => job.name === name)]!.map((index) => result.jobs[index]!.name);

    expect(result.jobs.find((job) => job.name === 'services-child » test')?.downstream?.triggerNeeds).toEqual(['lint']);
    expect(waitsFor('services-child » test')).toEqual(['lint']);
    expect(waitsFor('services-child » publish')).toEqual(['lint', 'services-child » test', 'services-child » lint']);
  });

  it('lists a trigger job it does not run, saying why: another project, a manual one of the commit’s files', () => {
    const result = plan(
      `image: busybox
generate: { stage: build, script: [make child.yml], artifacts: { paths: [child.yml] } }
other-project:
  trigger: { project: group/other, branch: main }
by-hand:
  when: manual
  trigger: { include: ci/services.yml }
`,
      { 'ci/services.yml': CHILD },
    );

    expect(result.jobs.map((job) => job.name)).toEqual(['generate']);
    expect(result.notes).toContain(
      "Trigger jobs not run: `other-project` (it starts a pipeline of another project, which Slipway does not run), `by-hand` (it is when: manual, and Slipway starts child pipelines of the commit's files only by themselves).",
    );
  });

  it('plans a trigger job whose child an earlier job writes as a job of its own, with its needs, when and what it passes down; what needs it waits for it', () => {
    const result = plan(
      `image: busybox
stages: [build, test, release]
variables: { GLOBAL: g }
generate: { stage: build, script: [make child.yml], artifacts: { paths: [child.yml] } }
lint: { stage: build, script: [lint] }
from-artifact:
  stage: test
  needs: [generate]
  when: manual
  variables: { PASSED: p }
  trigger: { include: [{ artifact: child.yml, job: generate }], strategy: depend }
release: { stage: release, needs: [from-artifact], script: [ship] }
`,
      {},
    );

    expect(result.jobs.find((job) => job.name === 'from-artifact')).toEqual({
      kind: 'trigger',
      name: 'from-artifact',
      stage: 'test',
      artifact: { job: 'generate', file: 'child.yml' },
      depend: true,
      variables: { GLOBAL: 'g', PASSED: 'p' },
      depth: 1,
      needs: ['generate'],
      when: 'manual',
      // A manual job may fail unless it says otherwise, as in GitLab.
      allowFailure: true,
    });
    expect(result.jobs.find((job) => job.name === 'release')?.needs).toEqual(['from-artifact']);
    expect(result.notes?.some((note) => note.includes('from-artifact'))).toBe(false);
  });

  it('refuses an artifact include outside a trigger job, and one without its job, as GitLab does', () => {
    expect(refusalOf(PipelineFileError, () => plan('include: [{ artifact: child.yml, job: generate }]\nbuild: { image: busybox, script: [make] }\n', {}))).toEqual([
      'include.0.artifact includes a job artifact, which only a child pipeline (trigger:include) may do (line 1)',
    ]);
    expect(refusalOf(PipelineFileError, () => plan('image: busybox\nchild:\n  trigger: { include: [{ artifact: child.yml }] }\n', {}))).toEqual([
      expect.stringMatching(/^child\.trigger\.include.* names an artifact without its job: add job, the earlier job whose artifacts hold the file \(line 3\)$/),
    ]);
  });

  it('refuses a child file that is not there, and a trigger GitLab would refuse, with their lines', () => {
    expect(refusalOf(PipelineFileError, () => plan(PARENT, {}))).toEqual([expect.stringContaining('ci/services.yml')]);
    expect(refusalOf(PipelineFileError, () => plan('image: busybox\nchild:\n  trigger: { include: ci/a.yml, strategy: wait }\n', { 'ci/a.yml': CHILD }))).toEqual([
      'child.trigger must be a project path or a mapping with include or project (line 3)',
    ]);
  });
});
