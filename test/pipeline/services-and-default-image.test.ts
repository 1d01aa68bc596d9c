import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGitlabCiFile } from '../../src/pipeline/read/gitlab-ci/read-gitlab-ci.js';
import { PipelineFileError } from '../../src/pipeline/read/pipeline-file-error.js';
import type { ScriptJobSpec } from '../../src/pipeline/plan.js';
import { createCoverageReader } from '../../src/pipeline/run/read-coverage.js';
import { parsePipelineFile } from '../../src/pipeline/read/read-slipway-file.js';
import { readPipeline } from '../../src/pipeline/read/read-pipeline.js';
import { defaultServiceNames, isDindService, resolveServices } from '../../src/pipeline/services.js';

const noDockerfile = () => false;

function refusal(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof PipelineFileError) return error.problems;
    throw error;
  }
  throw new Error('expected the file to be refused');
}

const scriptJobs = (jobs: unknown[]) => jobs as ScriptJobSpec[];

describe('service host names', () => {
  it.each([
    ['postgres:15', ['postgres']],
    ['postgres', ['postgres']],
    ['tutum/wordpress:latest', ['tutum__wordpress', 'tutum-wordpress']],
    [`registry.example.com/group/redis:7@sha256:${'a'.repeat(64)}`, ['registry.example.com__group__redis', 'registry.example.com-group-redis']],
    // A registry port makes no host name; such a service is reached through its alias.
    ['localhost:5000/redis:7', []],
  ])('follows GitLab for %s', (image, names) => {
    expect(defaultServiceNames(image)).toEqual(names);
  });

  it('knows the dind services, which mean the pipeline’s own daemon', () => {
    expect(['docker:dind', 'docker:24.0.5-dind', 'registry.example.com/docker:dind-rootless'].every(isDindService)).toBe(true);
    expect(['postgres:15', 'docker:24.0', 'mydocker:dind'].some(isDindService)).toBe(false);
  });

  it('resolves a service over the job’s variables: image expanded, its own variables last, aliases added', () => {
    const [service] = resolveServices(
      [{ image: '$DB_IMAGE', aliases: ['db', 'database'], variables: { POSTGRES_DB: '${APP}_test', APP: 'overridden' } }],
      { DB_IMAGE: 'postgres:15', APP: 'shop', CI_JOB_NAME: 'test' },
    );
    expect(service).toEqual({
      name: 'db',
      image: 'postgres:15',
      hostNames: ['postgres', 'db', 'database'],
      env: { DB_IMAGE: 'postgres:15', APP: 'overridden', CI_JOB_NAME: 'test', POSTGRES_DB: 'shop_test' },
    });
  });
});

describe('services in .gitlab-ci.yml', () => {
  const file = `
image: python:3.8-slim
services:
  - docker:dind
  - redis:7
test:
  services:
    - name: postgres:15
      alias: db, pg
      entrypoint: ["docker-entrypoint.sh"]
      command: postgres -c fsync=off
      variables:
        POSTGRES_PASSWORD: secret
  script: [pytest]
lint:
  script: [flake8]
build:
  services: [docker:24.0.5-dind]
  script: [docker build .]
`;

  it('plans a job’s own services, the file’s otherwise, and never a dind service', () => {
    const [test, lint, build] = scriptJobs(parseGitlabCiFile(file, {}).jobs);
    expect(test!.services).toEqual([
      { image: 'postgres:15', aliases: ['db', 'pg'], entrypoint: ['docker-entrypoint.sh'], command: ['postgres -c fsync=off'], variables: { POSTGRES_PASSWORD: 'secret' } },
    ]);
    expect(lint!.services).toEqual([{ image: 'redis:7', aliases: [], variables: {} }]);
    expect(build!.services).toBeUndefined();
    expect(parseGitlabCiFile(file, {}).notes?.join('\n')).not.toMatch(/service/i);
  });

  it('takes services from default:', () => {
    const plan = parseGitlabCiFile('default:\n  image: alpine\n  services: [redis:7]\ntest:\n  script: [make]\n', {});
    expect(scriptJobs(plan.jobs)[0]!.services).toEqual([{ image: 'redis:7', aliases: [], variables: {} }]);
  });

  it.each([
    ['test:\n  image: alpine\n  services:\n    - name: postgres\n      alias: "db:5432"\n  script: [make]\n', /^test\.services\.0\.alias must be host names .* \(line 5\)$/],
    ['test:\n  image: alpine\n  services:\n    - alias: db\n  script: [make]\n', /^test\.services\.0\.name must be an image name such as postgres:15 \(line 4\)$/],
    ['test:\n  image: alpine\n  services: postgres\n  script: [make]\n', /^test\.services must be a list of services \(line 3\)$/],
    [`test:\n  image: alpine\n  services: [${Array.from({ length: 17 }, (_, index) => `redis:${index}`).join(', ')}]\n  script: [make]\n`, /^test\.services must list at most 16 services \(line 3\)$/],
  ])('refuses a bad service with its field and line: %j', (text, message) => {
    expect(refusal(() => parseGitlabCiFile(text, {}))).toEqual([expect.stringMatching(message)]);
  });
});

describe('services in .slipway.yml', () => {
  it('plans test.services, leaving docker:dind out', () => {
    const plan = parsePipelineFile('test:\n  image: python:3.8-slim\n  services: [postgres:15, docker:dind, {name: redis:7, alias: cache}]\n  script: [pytest]\n', noDockerfile);
    expect(scriptJobs(plan.jobs)[0]!.services).toEqual([
      { image: 'postgres:15', aliases: [], variables: {} },
      { image: 'redis:7', aliases: ['cache'], variables: {} },
    ]);
  });
});

describe('the default image', () => {
  const gitlab = 'test:\n  script: [make test]\nlint:\n  image: node:20\n  script: [npm run lint]\n';

  it('runs a .gitlab-ci.yml job without image: in SLIPWAY_DEFAULT_IMAGE, marked as such', () => {
    const [test, lint] = scriptJobs(parseGitlabCiFile(gitlab, {}, { defaultImage: 'debian:bookworm' }).jobs);
    expect([test!.image, test!.imageFromDefault]).toEqual(['debian:bookworm', true]);
    expect([lint!.image, lint!.imageFromDefault]).toEqual(['node:20', undefined]);
  });

  it('refuses such a job without SLIPWAY_DEFAULT_IMAGE, naming the job and the variable', () => {
    expect(refusal(() => parseGitlabCiFile(gitlab, {}))).toEqual([
      'test has no image: set image: in the job, at the top level or under default, or start Slipway with SLIPWAY_DEFAULT_IMAGE (line 1)',
    ]);
    expect(refusal(() => parsePipelineFile('test:\n  script: [make]\n', noDockerfile))).toEqual([
      'test has no image: set test.image, or start Slipway with SLIPWAY_DEFAULT_IMAGE (line 1)',
    ]);
  });

  it('runs a .slipway.yml test without image in the default one', () => {
    const [test] = scriptJobs(parsePipelineFile('test:\n  script: [make]\n', noDockerfile, { defaultImage: 'debian:bookworm' }).jobs);
    expect([test!.image, test!.imageFromDefault]).toEqual(['debian:bookworm', true]);
  });
});

describe('the default image in the MR comment', () => {
  it('notes which jobs ran in SLIPWAY_DEFAULT_IMAGE', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-default-image-'));
    try {
      await writeFile(path.join(dir, '.gitlab-ci.yml'), 'test:\n  script: [make test]\nlint:\n  script: [make lint]\nbuild:\n  image: docker\n  script: [make image]\n');
      const plan = await readPipeline(dir, { plan: { defaultImage: 'debian:bookworm' } });
      expect(plan.notes).toContain("`test`, `lint` name no image, so they run in `debian:bookworm` (the server's SLIPWAY_DEFAULT_IMAGE).");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('coverage', () => {
  it('takes the last matching line, its first group when there is one, and its first number', () => {
    const reader = createCoverageReader({ source: '^TOTAL.+?(\\d+%)$', flags: '' });
    reader.write('TOTAL  10  2  80%\nsome output\nTOT');
    reader.write('AL  120  12  90%\nTOTAL is not a number line\n');
    expect(reader.value()).toBe(90);
    const plain = createCoverageReader({ source: 'Lines:\\s+\\d+\\.\\d+%', flags: 'i' });
    plain.write('lines: 73.25% (of 400)');
    expect(plain.value()).toBe(73.25);
    expect(createCoverageReader({ source: 'nothing', flags: '' }).value()).toBeUndefined();
  });

  it('refuses a coverage pattern it cannot run, with the line', () => {
    expect(refusal(() => parseGitlabCiFile('image: alpine\ntest:\n  coverage: "Coverage: 90%"\n  script: [make]\n', {}))).toEqual([
      'test.coverage must be a pattern written between slashes, such as /Coverage: \\d+\\.\\d+%/ (line 3)',
    ]);
    expect(refusal(() => parseGitlabCiFile('image: alpine\ntest:\n  coverage: /(?<=x)y/\n  script: [make]\n', {}))[0]).toMatch(/^test\.coverage is not a pattern Slipway understands: .* \(line 3\)$/);
  });
});
