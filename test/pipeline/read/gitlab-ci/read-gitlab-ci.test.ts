import type { PipelineFacts } from '../../../../src/model/pipeline-facts.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGitlabCiFile } from '../../../../src/pipeline/read/gitlab-ci/read-gitlab-ci.js';
import { PipelineFileError } from '../../../../src/pipeline/read/pipeline-file-error.js';
import type { ScriptJobSpec } from '../../../../src/pipeline/plan.js';
import { environmentSlug, predefinedVariables } from '../../../../src/pipeline/predefined-variables.js';
import { refusalOf } from '../../../helpers/refusal.js';

const fixture = (name: string) => readFileSync(path.resolve(import.meta.dirname, '../../../fixtures/gitlab-ci', name), 'utf8');
const facts: PipelineFacts = { id: '12', forge: 'gitlab', project: 'team/hello', sha: 'c0ffee'.padEnd(40, '0'), ref: 'main', defaultBranch: 'main', changeRequest: null, fromFork: false, diffBase: null, forgeProtectedRefs: [], registry: '127.0.0.1:5000' };
const onMain = predefinedVariables(facts);
const inMergeRequest = predefinedVariables({ ...facts, ref: 'feature', changeRequest: 4 });
const onBranch = predefinedVariables({ ...facts, ref: 'feature' });

const problemsOf = (text: string): string[] => refusalOf(PipelineFileError, () => parseGitlabCiFile(text, onMain));

describe('.gitlab-ci.yml of the common docker:dind shape', () => {
  const plan = parseGitlabCiFile(fixture('tornado.gitlab-ci.yml'), onMain);
  const jobs = plan.jobs as ScriptJobSpec[];

  it('plans test, build and deploy in stage order, each with the right image and Docker access', () => {
    expect(plan.source).toBe('.gitlab-ci.yml');
    expect(jobs.map((job) => [job.name, job.stage, job.image, job.dockerAccess])).toEqual([
      ['test', 'test', 'python:3.8-slim', true],
      ['build', 'build', 'docker', true],
      ['deploy', 'deploy', 'docker', true],
    ]);
    expect(jobs[0]!.script).toEqual(['pip install -r requirements.txt', 'python -m tornado.testing test_hello_world']);
    expect(jobs[1]!.variables).toEqual({ DOCKER_DRIVER: 'overlay2', DOCKER_TLS_CERTDIR: '' });
  });

  it('runs a stage called deploy as GitLab does, with nothing reported as ignored', () => {
    expect(jobs.map((job) => job.skipReason)).toEqual([undefined, undefined, undefined]);
    expect(plan.notes).toEqual([]);
  });

  it('leaves the deploy stage to /deploy when the project’s policy names it (a project with environments), and says so', () => {
    const held = parseGitlabCiFile(fixture('tornado.gitlab-ci.yml'), onMain, { deployStage: 'deploy' });
    expect(held.jobs.map((job) => job.skipReason)).toEqual([undefined, undefined, "waits for /deploy: it is in the deploy stage, the project's deploy stage in the deploy policy"]);
    expect(held.notes).toEqual(['Deploy jobs wait for `/deploy <sha> <environment>` in Slack, after approval, instead of running in the pipeline: `deploy`.']);
  });
});

describe('variations', () => {
  it('applies extends and anchors, plans services, and lists ignored keywords and left-out jobs', () => {
    const plan = parseGitlabCiFile(fixture('variations.gitlab-ci.yml'), onMain);
    const jobs = plan.jobs as ScriptJobSpec[];

    expect(jobs.map((job) => job.name)).toEqual(['lint', 'test', 'build', 'release', 'deploy']);
    const lint = jobs[0]!;
    expect(lint.image).toBe('python:3.8-slim');
    expect(lint.script).toEqual(['pip install -r requirements.txt', 'python -m pyflakes .']);
    expect(lint.allowFailure).toBe(true);
    expect(jobs[1]!.script).toEqual(['pip install -r requirements.txt', 'python -m tornado.testing test_hello_world']);
    expect(jobs[1]!.services).toEqual([{ image: 'postgres:15', aliases: [], variables: {} }]);
    expect(jobs[2]!.image).toBe('docker:24.0');
    expect(jobs[2]!.services).toBeUndefined();
    expect(jobs[2]!.variables.IMAGE).toBe('$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG');
    expect([jobs[3]!.when, jobs[3]!.allowFailure, jobs[3]!.skipReason]).toEqual(['manual', true, undefined]);
    expect(jobs[4]!.skipReason).toBe('waits for /deploy: it deploys to environment production, and deploys go through /deploy after approval');
    expect(plan.notes).toEqual([
      'Ignored keywords (Slipway does not support them): `artifacts:reports:junit` (test).',
      '`DOCKER_HOST` from the file is replaced: every job reaches the pipeline’s own Docker daemon through the `DOCKER_HOST` Slipway sets.',
      'Not in this pipeline: `nightly` (`only` does not match this pipeline).',
      'Deploy jobs wait for `/deploy <sha> <environment>` in Slack, after approval, instead of running in the pipeline: `deploy`.',
    ]);
    // `lint` asks for a `docker` runner: the pipeline goes to a Docker host with that tag, or an untagged one.
    expect(plan.tags).toEqual(['docker']);
  });

  it('decides rules with the pipeline’s own variables: a merge request, the default branch, another branch', () => {
    const text = fixture('variations.gitlab-ci.yml');
    const names = (variables: Record<string, string>) => parseGitlabCiFile(text, variables).jobs.map((job) => job.name);
    expect(names(inMergeRequest)).toContain('build');
    expect(names(onMain)).toContain('build');
    expect(names(onBranch)).not.toContain('build');
    expect(parseGitlabCiFile(text, onBranch).notes).toContain('Not in this pipeline: `build` (no rule matches this pipeline), `nightly` (`only` does not match this pipeline).');
  });

  it('honours only/except refs and when: on_failure / always', () => {
    const plan = parseGitlabCiFile(
      `image: alpine
main-only: { script: [x], only: [main] }
not-main: { script: [x], except: [main] }
releases: { script: [x], only: { refs: ['/^release-/'] } }
mr-only: { script: [x], only: [merge_requests] }
cleanup: { stage: deploy, script: [x], when: always }
notify: { stage: .post, script: [x], when: on_failure }
`,
      onMain,
    );
    expect(plan.jobs.map((job) => [job.name, job.stage, job.when, job.skipReason])).toEqual([
      ['main-only', 'test', 'on_success', undefined],
      ['cleanup', 'deploy', 'always', undefined],
      ['notify', '.post', 'on_failure', undefined],
    ]);
  });

  it('uses default: for image and before_script, and runs after_script', () => {
    const plan = parseGitlabCiFile(
      `default:
  image: python:3.8-slim
  before_script: [echo setup]
  after_script: [echo done]
  retry: 2
unit: { script: [echo unit] }
`,
      onMain,
    );
    const [unit] = plan.jobs as ScriptJobSpec[];
    expect(unit).toMatchObject({ image: 'python:3.8-slim', script: ['echo setup', 'echo unit'], afterScript: ['echo done'] });
    expect(plan.notes).toEqual(['Ignored keywords (Slipway does not support them): `retry` (default).']);
  });
});

describe('needs with parallel:matrix', () => {
  const file = (need: string, matrix = '  parallel: { matrix: [{ OS: [linux, mac] }] }\n') => `image: busybox
stages: [build, test]
build:
  stage: build
  parallel: { matrix: [{ OS: [linux, mac, windows] }] }
  script: [make]
test:
  stage: test
${matrix}  needs:
    - job: build
      parallel: { matrix: [${need}] }
  script: [make test]
`;

  it('needs only the instances the matrix names, written out or as $[[ matrix.NAME ]] of the job’s own values', () => {
    const plain = parseGitlabCiFile(file('{ OS: linux }'), onMain);
    const own = parseGitlabCiFile(file("{ OS: ['$[[ matrix.OS ]]'] }"), onMain);

    expect(plain.jobs.filter((job) => job.stage === 'test').map((job) => [job.name, job.needs])).toEqual([
      ['test: [linux]', ['build: [linux]']],
      ['test: [mac]', ['build: [linux]']],
    ]);
    expect(own.jobs.filter((job) => job.stage === 'test').map((job) => [job.name, job.needs, (job as ScriptJobSpec).artifactsFrom])).toEqual([
      ['test: [linux]', ['build: [linux]'], ['build: [linux]']],
      ['test: [mac]', ['build: [mac]'], ['build: [mac]']],
    ]);
  });

  it('refuses $[[ matrix.NAME ]] naming no variable of the job’s matrix, or in a job without one, as GitLab does', () => {
    expect(problemsOf(file("{ OS: ['$[[ matrix.ARCH ]]'] }"))).toEqual(["test.needs.0.parallel.matrix uses $[[ matrix.ARCH ]], but ARCH is not a variable of this job's parallel:matrix (line 12)"]);
    expect(problemsOf(file("{ OS: ['$[[ matrix.OS ]]'] }", ''))).toEqual(["test.needs.0.parallel.matrix uses $[[ matrix.OS ]], but OS is not a variable of this job's parallel:matrix (line 11)"]);
    expect(problemsOf(file('{ OS: solaris }'))).toEqual(["test.needs.0.parallel.matrix names no job of build's parallel:matrix (OS=solaris) (line 12)"]);
  });
});

describe('lists in lists in a script', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}echo deep${']'.repeat(depth)}`;

  it('flattens them as GitLab does, anchors of anchors included, up to ten levels', () => {
    const plan = parseGitlabCiFile(
      `image: busybox
.a: &a [echo a]
.b: &b [*a, echo b]
test:
  script: [*b, echo c, ${nested(9)}]
`,
      onMain,
    );
    expect((plan.jobs[0] as ScriptJobSpec).script).toEqual(['echo a', 'echo b', 'echo c', 'echo deep']);
  });

  it('counts each !reference in a script as a level, as GitLab keeps the list it names inside the script', () => {
    // `.l0` holds the line; each `.lN` refers to the one before it; the job refers to the last.
    const chain = (references: number) =>
      [
        'image: busybox',
        '.l0: { script: [echo deep] }',
        ...Array.from({ length: references - 1 }, (_, level) => `.l${level + 1}: { script: [!reference [.l${level}, script]] }`),
        `test: { script: [echo first, !reference [.l${references - 1}, script]] }`,
        '',
      ].join('\n');

    expect((parseGitlabCiFile(chain(9), onMain).jobs[0] as ScriptJobSpec).script).toEqual(['echo first', 'echo deep']);
    expect(problemsOf(chain(10))).toEqual([`test.script nests lists more than 10 levels deep, which GitLab refuses (line 12)`]);
  });

  it('refuses a script nested more than ten levels deep, as GitLab does, with its line', () => {
    expect(problemsOf(`image: busybox\ntest:\n  script: ${nested(11)}\n`)).toEqual(['test.script nests lists more than 10 levels deep, which GitLab refuses (line 3)']);
    expect(problemsOf(`image: busybox\ntest:\n  script: [echo, 3]\n`)).toEqual([
      'test.script must be a command or a list of commands (quote a command YAML would read as a number or true/false) (line 3)',
    ]);
  });
});

describe('type: (the old spelling of stage:)', () => {
  it('puts the job in that stage, with stage: winning when both are written, and lists nothing as ignored', () => {
    const plan = parseGitlabCiFile(
      `image: busybox
stages: [build, test, deploy]
compile: { type: build, script: [make] }
check: { type: build, stage: test, script: [make check] }
ship: { type: deploy, script: [echo ship] }
`,
      onMain,
    );
    expect(plan.jobs.map((job) => [job.name, job.stage])).toEqual([
      ['compile', 'build'],
      ['check', 'test'],
      ['ship', 'deploy'],
    ]);
    expect((plan.notes ?? []).join('\n')).not.toMatch(/type/);
  });

  it('names the key and its line when type: names no stage of the file', () => {
    expect(problemsOf('image: busybox\nstages: [build]\ncompile:\n  type: compile\n  script: [make]\n')).toEqual(['compile.type "compile" is not one of the stages: build (line 4)']);
  });
});

describe('environment:', () => {
  it('names the environment a held job deploys to, its variables expanded as GitLab expands them', () => {
    const plan = parseGitlabCiFile(
      `image: busybox
review:
  stage: deploy
  variables: { APP: shop }
  environment: { name: review/$APP-$CI_COMMIT_REF_SLUG, url: https://$CI_ENVIRONMENT_SLUG.example.com, on_stop: stop-review, auto_stop_in: 1 week }
  script: [deploy]
stop-review:
  stage: deploy
  environment: { name: review/$APP-$CI_COMMIT_REF_SLUG, action: stop }
  variables: { APP: shop }
  when: manual
  script: [stop]
`,
      inMergeRequest,
    );
    expect(plan.jobs.map((job) => job.kind === 'script' && job.environment)).toEqual([
      { name: 'review/shop-feature', action: 'start', url: `https://${environmentSlug('review/shop-feature')}.example.com`, onStop: 'stop-review', autoStopInSeconds: 7 * 86_400 },
      { name: 'review/shop-feature', action: 'stop' },
    ]);
    expect(environmentSlug('review/shop-feature')).toMatch(/^review-shop-featu-[a-z0-9]{6}$/);
    expect(plan.jobs.map((job) => job.kind === 'script' && job.waitsForDeploy)).toEqual([true, true]);
    expect(plan.jobs.map((job) => job.skipReason)).toEqual([
      'waits for /deploy: it deploys to environment review/shop-feature, and deploys go through /deploy after approval',
      'waits for /deploy: it deploys to environment review/shop-feature, and deploys go through /deploy after approval',
    ]);
  });

  it('runs a review app’s jobs in the pipeline as GitLab does, when the policy asks no approval for its environment', () => {
    const file = `image: busybox
review:
  stage: deploy
  environment: { name: review/$CI_COMMIT_REF_SLUG, on_stop: stop-review, auto_stop_in: $REVIEW_LIFETIME }
  script: [deploy]
stop-review:
  stage: deploy
  environment: { name: review/$CI_COMMIT_REF_SLUG, action: stop }
  when: manual
  script: [stop]
production:
  stage: deploy
  environment: production
  script: [deploy]
`;
    const plan = parseGitlabCiFile(file, { ...inMergeRequest, REVIEW_LIFETIME: '2 days' }, { reviewEnvironments: ['review/*'], deployStage: 'deploy' });

    expect(plan.jobs.map((job) => [job.name, job.kind === 'script' && job.waitsForDeploy === true, job.when ?? 'on_success'])).toEqual([
      ['review', false, 'on_success'],
      ['stop-review', false, 'manual'],
      ['production', true, 'on_success'],
    ]);
    expect(plan.jobs[0]!.kind === 'script' && plan.jobs[0]!.environment?.autoStopInSeconds).toBe(2 * 86_400);
  });

  it.each([
    ['a job that is not there', 'stop-review: { script: [x] }', 'names stop-revue, which is not a job of the file (GitLab: on_stop job stop-revue is not defined)', 'stop-revue'],
    ['a job with no environment', 'stop-review: { script: [x] }', 'names stop-review, which has no environment: give it environment: { name: review/$CI_COMMIT_REF_SLUG, action: stop }', 'stop-review'],
    ['a job stopping another environment', 'stop-review: { script: [x], environment: { name: review/other, action: stop } }', 'names stop-review, which stops review/other, not review/$CI_COMMIT_REF_SLUG (GitLab: on_stop job stop-review have different environment name)', 'stop-review'],
    ['a job that does not stop it', 'stop-review: { script: [x], environment: { name: review/$CI_COMMIT_REF_SLUG } }', 'names stop-review, which does not stop it: give stop-review environment:action: stop', 'stop-review'],
  ])('refuses an on_stop naming %s, as GitLab does', (_what, stopJob, problem, named) => {
    const file = `image: busybox\nreview:\n  environment: { name: review/$CI_COMMIT_REF_SLUG, on_stop: ${named} }\n  script: [x]\n${stopJob}\n`;

    expect(problemsOf(file)).toEqual([`review.environment.on_stop ${problem} (line 3)`]);
  });

  it('refuses an auto_stop_in that is no duration', () => {
    expect(problemsOf('image: busybox\nreview:\n  environment: { name: review/x, auto_stop_in: someday }\n  script: [x]\n')).toEqual([
      'review.environment.auto_stop_in must be a duration such as 1 week or 2 days, or never (line 3)',
    ]);
  });

  it('names the field and line of an environment GitLab would refuse', () => {
    expect(problemsOf('image: busybox\ndeploy:\n  environment: { url: https://example.com }\n  script: [x]\n')).toEqual([
      'deploy.environment.name is missing: name the environment, such as production or review/$CI_COMMIT_REF_SLUG (line 3)',
    ]);
    expect(problemsOf('image: busybox\ndeploy:\n  environment: [prod]\n  script: [x]\n')).toEqual([
      'deploy.environment must be an environment name such as production, or a mapping with name (and url, action, deployment_tier, on_stop, auto_stop_in) (line 3)',
    ]);
    expect(problemsOf('image: busybox\ndeploy:\n  environment: { name: prod, action: deploy }\n  script: [x]\n')).toEqual(['deploy.environment.action must be one of start, prepare, stop, verify, access (line 3)']);
    expect(problemsOf('image: busybox\ndeploy:\n  environment: { name: prod, deployment_tier: live }\n  script: [x]\n')).toEqual([
      'deploy.environment.deployment_tier must be one of production, staging, testing, development, other (line 3)',
    ]);
  });
});

describe('a .gitlab-ci.yml Slipway cannot run', () => {
  it('names the job and line of a missing script, an unknown stage, a job with no image', () => {
    expect(
      problemsOf(`stages: [test]
test:
  image: alpine
  stage: tset
  script: [echo ok]
build:
  image: docker
lint:
  script: [echo ok]
`),
    ).toEqual([
      'test.stage "tset" is not one of the stages: test (line 4)',
      'lint has no image: set image: in the job, at the top level or under default, or start Slipway with SLIPWAY_DEFAULT_IMAGE (line 8)',
      'build.script is missing: every job needs a script (line 6)',
    ]);
  });

  it('puts a job without stage in test, and says so when the file has no test stage', () => {
    expect(problemsOf('image: alpine\nstages: [build]\ncompile:\n  script: [make]\n')).toEqual([
      'compile has no stage, so it is in "test", which is not one of the stages: build (line 3)',
    ]);
  });

  it('reports a rule it cannot read, with its line', () => {
    expect(problemsOf(`image: alpine
test:
  script: [echo ok]
  rules:
    - if: $CI_COMMIT_BRANCH = "main"
`)).toEqual(['test.rules.0.if is not an expression Slipway understands: unexpected "= "main"" at character 19 (line 5)']);
  });

  it('reports extends of a template that does not exist, and a cycle', () => {
    expect(problemsOf('test: { extends: .base, script: [echo ok] }\n')).toEqual(['test.extends extends ".base", which is not a job or template in this pipeline\'s files (line 1)']);
    expect(problemsOf('.a: { extends: .b }\n.b: { extends: .a }\ntest: { extends: .a, script: [echo ok] }\n')).toEqual([
      '.a.extends extends itself through .a -> .b -> .a (line 1)',
    ]);
  });

  it('refuses a file with no jobs, a job that is not a mapping, and YAML it cannot parse', () => {
    expect(problemsOf('image: alpine\nvariables: { A: b }\n')).toEqual(['the file defines no jobs: add a job with a script, such as test: { image: …, script: [...] }']);
    expect(problemsOf('image: alpine\ntest: echo hi\n')).toEqual(['test must be a job: a mapping with at least script (line 2)']);
    expect(problemsOf('test: [unclosed\n')[0]).toBe('is not valid YAML: a [ is not closed: close it with ], or put the value in quotes (at the end of the file, line 1)');
  });

  it('says what is wrong with YAML in plain words, with its line and column', () => {
    expect(problemsOf('test:\n  image: alpine\n  script: echo: hi\n')).toEqual(['is not valid YAML: a value holds ": " as if it were another key (as in script: echo: hi): put the value in quotes (line 3, column 11)']);
    expect(problemsOf('test:\n  image: alpine\n script: [make]\n')).toEqual(['is not valid YAML: this key is not lined up with the keys before it: indent it as they are (line 3, column 1)']);
    expect(problemsOf('test:\n\timage: alpine\n')).toEqual(['is not valid YAML: this line is indented with a tab: YAML indents with spaces only (line 2, column 1)']);
    expect(problemsOf('test:\n  image: @alpine\n  script: [make]\n')).toEqual(['is not valid YAML: a value starts with a character YAML keeps for itself (@): put the value in quotes (line 2, column 10)']);
  });

  it('refuses a job named after a keyword of the file in one problem, the root cause, not what the keyword would say of a job', () => {
    const names = 'image, services, variables, stages, before_script, after_script, default, include, workflow, cache';
    expect(problemsOf('image:\n  script: [echo]\ntest: { image: alpine, script: [echo hi] }\n')).toEqual([
      `image is one of the file's keywords, so it cannot name a job: rename the job (no job may be called ${names}) (line 1)`,
    ]);
    expect(problemsOf('stages: [test]\nservices:\n  script: [echo]\ncache:\n  script: [x]\ntest: { image: alpine, script: [echo hi] }\n')).toEqual([
      `services (also cache) are the file's keywords, so they cannot name jobs: rename the job (no job may be called ${names}) (line 2)`,
    ]);
  });
});

describe('!reference', () => {
  it('puts the lines a reference names in place, through references and extends, as GitLab does', () => {
    const plan = parseGitlabCiFile(
      `image: alpine
.snippets:
  git_prep:
    - git config --global user.name bot
    - git fetch --tags
  nested:
    - !reference [.snippets, git_prep]
    - echo nested
.base:
  variables: { SHARED: from-base }
test:
  extends: .base
  services: [!reference [.services, 0]]
  variables:
    COPY: !reference [.base, variables, SHARED]
  script:
    - !reference [.snippets, nested]
    - make test
.services:
  - name: postgres:15
    alias: db
`,
      onMain,
    );
    const [test] = plan.jobs as ScriptJobSpec[];
    expect(test!.script).toEqual(['git config --global user.name bot', 'git fetch --tags', 'echo nested', 'make test']);
    expect(test!.variables).toEqual({ SHARED: 'from-base', COPY: 'from-base' });
    expect(test!.services).toEqual([{ image: 'postgres:15', aliases: ['db'], variables: {} }]);
  });

  it('names a reference to nothing, and one to itself, with the line', () => {
    expect(problemsOf('image: alpine\ntest:\n  script:\n    - !reference [.snippets, git_prep]\n')).toEqual([
      "test.script.0 refers to .snippets.git_prep, which is not in this pipeline's files (line 4)",
    ]);
    expect(problemsOf('image: alpine\n.loop:\n  script: [!reference [.loop, script]]\ntest:\n  script: [!reference [.loop, script]]\n')).toEqual([
      '.loop.script.0 refers to .loop.script through itself (.loop.script -> .loop.script) (line 3)',
    ]);
    expect(problemsOf('image: alpine\ntest:\n  script: !reference []\n')[0]).toMatch(/^is not valid YAML: !reference must list keys, such as !reference \[\.setup, script\] \(line 3, column \d+\)$/);
  });
});

describe('keywords GitLab has and Slipway reads its own way', () => {
  it('lets allow_failure name exit codes, and refuses anything else with the line', () => {
    const plan = parseGitlabCiFile('image: alpine\na: { allow_failure: { exit_codes: 137 }, script: [make] }\nb: { allow_failure: { exit_codes: [1, 2] }, script: [make] }\n', onMain);
    expect(plan.jobs.map((job) => job.allowFailure)).toEqual([{ exitCodes: [137] }, { exitCodes: [1, 2] }]);
    expect(problemsOf('image: alpine\na:\n  allow_failure: { exitcodes: 1 }\n  script: [make]\n')).toEqual([
      'a.allow_failure must be true, false, or a mapping with exit_codes (line 3)',
    ]);
  });

  it('lists trigger jobs as not run, and reads a repeated key as its last value, saying so', () => {
    const plan = parseGitlabCiFile('image: alpine\ndownstream:\n  trigger: group/deployer\ntest:\n  script: [make one]\ntest:\n  script: [make two]\n', onMain);
    expect((plan.jobs as ScriptJobSpec[]).map((job) => [job.name, job.script])).toEqual([['test', ['make two']]]);
    expect(plan.notes).toEqual([
      'Keys written twice in one mapping, where the last one counts (as in GitLab): `test` (line 6).',
      'Trigger jobs not run: `downstream` (it starts a pipeline of another project, which Slipway does not run).',
    ]);
  });

  it('names an unread include:component when the jobs or templates a file needs would come from it', () => {
    expect(problemsOf('include:\n  - component: gitlab.example.com/ci/jobs@1.0\n')).toEqual([
      "the file's jobs come from include:component gitlab.example.com/ci/jobs@1.0 (line 2), which Slipway does not read: copy the jobs into the repository and include them with local:",
    ]);
    expect(problemsOf('include:\n  - component: gitlab.example.com/ci/base@1.0\ntest:\n  extends: .base\n  script: [make]\n')).toEqual([
      'test.extends extends ".base", which is not a job or template in this pipeline\'s files; it may come from include:component gitlab.example.com/ci/base@1.0 (line 2), which Slipway does not read: copy it into the repository and include it with local: (line 4)',
    ]);
  });
});

describe('only/except patterns as GitLab writes them', () => {
  const file = (ref: string) => `image: alpine\nrelease:\n  only:\n    - ${ref}\n  script: [make release]\n`;
  const planned = (ref: string, branch: string, project = 'team/hello') =>
    parseGitlabCiFile(file(ref), predefinedVariables({ ...facts, ref: branch, project })).jobs.map((job) => job.name);

  it('reads Ruby anchors \\A and \\Z as anchors, not letters', () => {
    expect(planned('/\\Av[0-9]+\\.[0-9]+\\Z/', 'v1.2')).toEqual(['release']);
    expect(planned('/\\Av[0-9]+\\.[0-9]+\\Z/', 'Av1.2Z')).toEqual([]);
    expect(planned('/\\Av[0-9]+\\.[0-9]+\\Z/', 'xv1.2')).toEqual([]);
  });

  it('limits a pattern with @project to that project', () => {
    expect(planned('/^v\\d+/@team/hello', 'v1')).toEqual(['release']);
    expect(planned('/^v\\d+/@team/hello', 'v1', 'fork/hello')).toEqual([]);
  });

  it('refuses an empty rules list, as GitLab does', () => {
    expect(problemsOf('image: alpine\njob:\n  rules: []\n  script: [make]\n')).toEqual(['job.rules must list at least one rule (or leave rules out) (line 3)']);
  });
});

describe('needs and parallel', () => {
  const plan = (text: string) => parseGitlabCiFile(`image: alpine\nstages: [build, test, deploy]\n${text}`, onMain);

  it('expands parallel: N and parallel:matrix with GitLab’s names and variables', () => {
    const jobs = plan(`shard:
  stage: test
  parallel: 2
  script: [make shard]
build:
  stage: build
  parallel:
    matrix:
      - OS: [linux, mac]
        ARCH: amd64
      - OS: windows
  script: [make]
`).jobs as ScriptJobSpec[];
    expect(jobs.map((job) => job.name)).toEqual(['build: [linux, amd64]', 'build: [mac, amd64]', 'build: [windows]', 'shard 1/2', 'shard 2/2']);
    expect(jobs[1]!.variables).toEqual({ OS: 'mac', ARCH: 'amd64', CI_NODE_INDEX: '2', CI_NODE_TOTAL: '3' });
    expect(jobs[4]!.variables).toEqual({ CI_NODE_INDEX: '2', CI_NODE_TOTAL: '2' });
  });

  it('plans needs: on a job, on one job of a matrix, on all of a parallel job, none at all, and an optional one left out', () => {
    const jobs = plan(`build:
  stage: build
  parallel: { matrix: [{ OS: [linux, mac] }] }
  script: [make]
lint:
  stage: build
  rules: [{ if: '$NEVER' }]
  script: [make lint]
unit:
  stage: test
  needs: ["build: [linux]", { job: lint, optional: true }]
  script: [make unit]
package:
  stage: deploy
  environment: production
  needs: [build]
  script: [make package]
first:
  stage: deploy
  needs: []
  script: [echo first]
`).jobs;
    expect(jobs.map((job) => [job.name, job.needs])).toEqual([
      ['build: [linux]', undefined],
      ['build: [mac]', undefined],
      ['unit', ['build: [linux]']],
      ['package', ['build: [linux]', 'build: [mac]']],
      ['first', []],
    ]);
  });

  it.each([
    ['a:\n  stage: build\n  needs: [a]\n  script: [x]\n', 'a.needs.0 needs the job itself (line 5)'],
    ['a:\n  stage: build\n  needs: [ghost]\n  script: [x]\n', 'a.needs.0 needs "ghost", which is not a job in the file (mark it optional: true if it comes and goes) (line 5)'],
    ['a:\n  stage: build\n  needs: [b]\n  script: [x]\nb:\n  stage: test\n  script: [x]\n', 'a.needs.0 needs "b", which is in the later stage "test" (line 5)'],
    ['a:\n  stage: build\n  needs: [b]\n  script: [x]\nb:\n  stage: build\n  needs: [a]\n  script: [x]\n', 'a.needs needs go round in a circle: a -> b -> a (line 5)'],
    ['a:\n  stage: build\n  needs: [~]\n  script: [x]\n', 'a.needs.0 must be a job name, or a mapping with job (and optional, artifacts) (line 5)'],
    ['a:\n  stage: build\n  parallel: 201\n  script: [x]\n', "a.parallel must be at most 200, GitLab's limit (line 5)"],
    ['a:\n  stage: build\n  rules: [{ if: $NEVER }]\n  script: [x]\nb:\n  needs: [a]\n  script: [x]\n', 'b.needs.0 needs "a", which is not in this pipeline (its rules leave it out): mark the need optional: true, or run both (line 8)'],
  ])('refuses %j with the job and line', (text, message) => {
    expect(problemsOf(`image: alpine\nstages: [build, test, deploy]\n${text}`)).toEqual([message]);
  });
});

describe('timeout and retry', () => {
  it.each([
    ['3600', 3600],
    ['1h 30m', 5400],
    ['1 hour and 30 minutes', 5400],
    ['90 minutes', 5400],
    ['2 days', 172800],
    ['45s', 45],
  ])('reads timeout: %s as %i seconds', (written, seconds) => {
    const [job] = parseGitlabCiFile(`image: alpine\njob:\n  timeout: ${written}\n  script: [make]\n`, onMain).jobs as ScriptJobSpec[];
    expect(job!.timeoutMs).toBe(seconds * 1000);
  });

  it('reads retry as a count or a mapping, and refuses what GitLab refuses', () => {
    const jobs = parseGitlabCiFile(
      'image: alpine\na: { retry: 2, script: [x] }\nb: { retry: { max: 1, when: [script_failure, stuck_or_timeout_failure], exit_codes: 137 }, script: [x] }\nc: { retry: 0, script: [x] }\n',
      onMain,
    ).jobs as ScriptJobSpec[];
    expect(jobs.map((job) => job.retry)).toEqual([
      { max: 2, when: ['always'] },
      { max: 1, when: ['script_failure', 'stuck_or_timeout_failure'], exitCodes: [137] },
      undefined,
    ]);
    expect(problemsOf('image: alpine\na:\n  retry: 3\n  script: [x]\n')).toEqual(['a.retry.max must be 0, 1 or 2 (line 3)']);
    expect(problemsOf('image: alpine\na:\n  retry: { max: 1, when: flaky }\n  script: [x]\n')[0]).toMatch(/^a\.retry\.when\.0 must be one of always, unknown_failure, script_failure, .* \(line 3\)$/);
    expect(problemsOf('image: alpine\na:\n  timeout: soon\n  script: [x]\n')).toEqual(['a.timeout must be a duration such as 30m, 1h 30m or 2 hours (line 3)']);
  });
});

describe('workflow:rules', () => {
  const file = `workflow:
  rules:
    - if: $CI_COMMIT_BRANCH =~ /^wip-/
      when: never
    - if: $CI_MERGE_REQUEST_IID
      variables: { DEPLOY_TARGET: review }
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
      variables: { DEPLOY_TARGET: production }
image: alpine
variables: { DEPLOY_TARGET: none }
test:
  rules:
    - if: $DEPLOY_TARGET == "production"
  script: [make]
`;

  it('leaves a pipeline out with the rule that did, or when no rule matches', () => {
    expect(parseGitlabCiFile(file, predefinedVariables({ ...facts, ref: 'wip-thing' }))).toEqual({
      source: '.gitlab-ci.yml',
      jobs: [],
      skipped: 'workflow:rules rule 1 (if: $CI_COMMIT_BRANCH =~ /^wip-/) says when: never',
    });
    expect(parseGitlabCiFile(file, onBranch).skipped).toBe('no workflow:rules rule matches this pipeline');
  });

  it('gives the matching rule’s variables to every job, over the file’s, and to their rules', () => {
    const onDefault = parseGitlabCiFile(file, onMain);
    expect(onDefault.skipped).toBeUndefined();
    expect((onDefault.jobs as ScriptJobSpec[]).map((job) => [job.name, job.variables.DEPLOY_TARGET])).toEqual([['test', 'production']]);
    expect(parseGitlabCiFile(file, inMergeRequest).jobs).toEqual([]);
  });

  it('names a workflow rule it cannot read, with the line', () => {
    expect(problemsOf('workflow:\n  rules:\n    - if: $A = "b"\nimage: alpine\ntest: { script: [make] }\n')).toEqual([
      'workflow.rules.0.if is not an expression Slipway understands: unexpected "= "b"" at character 4 (line 3)',
    ]);
  });
});

describe('needs on another project or pipeline', () => {
  it('orders nothing and is listed as ignored', () => {
    const plan = parseGitlabCiFile(
      'image: alpine\nbuild: { script: [make] }\ntest:\n  needs:\n    - build\n    - { project: group/other, job: compile, ref: main, artifacts: true }\n    - { pipeline: $PARENT_PIPELINE_ID, job: generate }\n  script: [make test]\n',
      onMain,
    );
    expect(plan.jobs.map((job) => [job.name, job.needs])).toEqual([
      ['build', undefined],
      ['test', ['build']],
    ]);
    expect(plan.notes?.[0]).toBe('Ignored keywords (Slipway does not support them): `needs:project` (test), `needs:pipeline` (test).');
  });
});
