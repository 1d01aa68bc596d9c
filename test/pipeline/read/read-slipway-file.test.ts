import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PipelineFileError } from '../../../src/pipeline/read/pipeline-file-error.js';
import { parsePipelineFile } from '../../../src/pipeline/read/read-slipway-file.js';
import { readPipeline } from '../../../src/pipeline/read/read-pipeline.js';
import { refusalOf } from '../../helpers/refusal.js';

const withDockerfile = () => true;
const withoutDockerfile = () => false;

const problems = (text: string): string[] => refusalOf(PipelineFileError, () => parsePipelineFile(text, withDockerfile));

const GOOD = `test:
  image: python:3.8-slim
  script:
    - pip install -r requirements.txt
    - python -m tornado.testing test_hello_world
build:
  dockerfile: Dockerfile
  context: .
`;

describe('the pipeline file', () => {
  it('turns the documented example into a test job then a build job', () => {
    const plan = parsePipelineFile(GOOD, withDockerfile);

    expect(plan.jobs).toEqual([
      {
        kind: 'script',
        name: 'test',
        stage: 'test',
        image: 'python:3.8-slim',
        script: ['pip install -r requirements.txt', 'python -m tornado.testing test_hello_world'],
        variables: {},
        timeoutMs: undefined,
      },
      { kind: 'build', name: 'build', stage: 'build', dockerfile: 'Dockerfile', context: '.', buildArgs: {} },
    ]);
  });

  it('builds by default only when the Dockerfile exists, and never with build: false', () => {
    const testOnly = 'test:\n  image: alpine\n  script: [make]\n';

    expect(parsePipelineFile(testOnly, withDockerfile).jobs.map((job) => job.kind)).toEqual(['script', 'build']);
    expect(parsePipelineFile(testOnly, withoutDockerfile).jobs.map((job) => job.kind)).toEqual(['script']);
    expect(parsePipelineFile(`${testOnly}build: false\n`, withDockerfile).jobs.map((job) => job.kind)).toEqual(['script']);
  });

  it.each([
    ['test:\n  image: python:3.8-slim\n  script:\n    pip install -r requirements.txt\n', 'test.script must be a list of strings (line 4)'],
    ['test:\n  image: python:3.8-slim\n  script:\n    - 42\n', 'test.script.0 must be a list of strings (line 4)'],
    ['test:\n  script: [make]\n', 'test has no image: set test.image, or start Slipway with SLIPWAY_DEFAULT_IMAGE (line 1)'],
    ['test:\n  image: 42\n  script: [make]\n', 'test.image must be an image name such as python:3.8-slim (line 2)'],
    ['test:\n  image: alpine\n  script: [make]\n  scirpt: [x]\n', 'test.scirpt is not a known key (line 4)'],
    ['tset:\n  image: alpine\n', 'tset is not a known key (line 1)'],
    ['test:\n  image: alpine\n  script: []\n', 'test.script must list at least one command (line 3)'],
    ['test:\n  image: alpine\n  script: [make]\n  timeout: -5\n', 'test.timeout must be a positive number of seconds (line 4)'],
    ['build:\n  dockerfile: ../../etc/passwd\n', 'build.dockerfile must be a path inside the repository (no leading / and no ..) (line 2)'],
    ['build: yes please\n', 'build must be false or a mapping with dockerfile, context and args (line 1)'],
    ['- just\n- a list\n', 'the file must be a mapping with test and build (line 1)'],
  ])('reports %j as %j', (text, message) => {
    expect(problems(text)).toEqual([message]);
  });

  it('reports broken YAML with its line', () => {
    expect(problems('test:\n  image: "unclosed\n')[0]).toBe('is not valid YAML: a quote is not closed: close it where the value ends (at the end of the file, line 2)');
  });

  it('says so when nothing would run', () => {
    expect(() => parsePipelineFile('build: false\n', withDockerfile)).toThrow(
      '.slipway.yml: defines no test job and there is no Dockerfile to build',
    );
  });
});

describe('reading a checkout', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives a build-only pipeline to a repository with a Dockerfile and no pipeline file', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-plan-'));
    await writeFile(path.join(dir, 'Dockerfile'), 'FROM scratch\n');

    const plan = await readPipeline(dir);

    expect(plan.source).toBe('Dockerfile');
    expect(plan.jobs.map((job) => job.kind)).toEqual(['build']);
  });

  it('explains what to add when there is neither file', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-plan-'));

    await expect(readPipeline(dir)).rejects.toThrow(
      '.slipway.yml: not found, and there is no .gitlab-ci.yml or Dockerfile either: add a .slipway.yml, a .gitlab-ci.yml or a Dockerfile',
    );
  });
});
