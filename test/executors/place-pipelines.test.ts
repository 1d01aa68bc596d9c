import { describe, expect, it } from 'vitest';
import { placePipelines, type Placement } from '../../src/executors/place-pipelines.js';
import type { ExecutionEnvironment, Executor, PipelineIdentity, PipelineTrust } from '../../src/pipeline/executor.js';
import { loadConfig } from '../../src/config/load-config.js';

/** A Docker host stand-in that records which pipelines it was asked to open. */
function recordingHost(name: string, tags: string[], opened: string[]): Placement {
  const executor: Executor = {
    async open(pipeline) {
      opened.push(`${name}:${pipeline.id}`);
      return { close: async () => undefined } as unknown as ExecutionEnvironment;
    },
  };
  return { name, capacity: 2, tags, executor };
}

const pipeline = (id: string, trust: PipelineTrust | undefined, tags?: string[]): PipelineIdentity => ({ id, forge: 'gitlab', project: 'acme/app', sha: 'a'.repeat(40), ...(trust ? { trust } : {}), ...(tags ? { tags } : {}) });

describe('where pipelines run when outside code has hosts of its own', () => {
  it('keeps forks on the untrusted host and everything else off it (SLIPWAY_UNTRUSTED_PIPELINES=forks)', async () => {
    const opened: string[] = [];
    const executor = placePipelines([recordingHost('secrets', [], opened), recordingHost('outside', ['untrusted'], opened)], 'forks');

    for (const [id, trust] of [['fork', 'fork'], ['branch', 'unprotected'], ['main', 'protected'], ['unknown', undefined]] as const) {
      await (await executor.open(pipeline(id, trust), new AbortController().signal)).close();
    }

    expect(opened).toEqual(['outside:fork', 'secrets:branch', 'secrets:main', 'outside:unknown']);
  });

  it('sends every unprotected pipeline there with unprotected, and refuses a protected one whose tags only the untrusted host has', async () => {
    const opened: string[] = [];
    const executor = placePipelines([recordingHost('secrets', [], opened), recordingHost('outside', ['untrusted', 'gpu'], opened)], 'unprotected');

    await (await executor.open(pipeline('branch', 'unprotected'), new AbortController().signal)).close();
    const refused = executor.open(pipeline('main', 'protected', ['gpu']), new AbortController().signal);

    expect(opened).toEqual(['outside:branch']);
    await expect(refused).rejects.toThrow('no Docker host of this worker without the untrusted tag (those are kept for outside code) has the runner tags gpu its jobs ask for (SLIPWAY_DOCKER_HOSTS: secrets [], outside [untrusted, gpu])');
  });

  it('treats untrusted as an ordinary tag when the setting is none', async () => {
    const opened: string[] = [];
    const executor = placePipelines([recordingHost('a', ['untrusted'], opened)]);

    await (await executor.open(pipeline('main', 'protected'), new AbortController().signal)).close();

    expect(opened).toEqual(['a:main']);
  });

  it('is refused at start-up without both kinds of host, naming what to add', () => {
    const base = { DOCKER_HOST: 'unix:///var/run/docker.sock', SLIPWAY_UNTRUSTED_PIPELINES: 'forks' };

    expect(() => loadConfig({ ...base })).toThrow('SLIPWAY_UNTRUSTED_PIPELINES=forks needs a SLIPWAY_DOCKER_HOSTS entry with tags=untrusted for those pipelines to run on');
    expect(() => loadConfig({ ...base, SLIPWAY_DOCKER_HOSTS: 'unix:///var/run/docker.sock?tags=untrusted' })).toThrow(
      'SLIPWAY_UNTRUSTED_PIPELINES=forks needs a SLIPWAY_DOCKER_HOSTS entry without tags=untrusted for every other pipeline',
    );
    expect(loadConfig({ ...base, SLIPWAY_DOCKER_HOSTS: 'unix:///var/run/docker.sock?name=a unix:///var/run/docker.sock?name=b&tags=untrusted' }).docker.untrustedPipelines).toBe('forks');
  });
});
