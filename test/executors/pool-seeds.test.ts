import { describe, expect, it } from 'vitest';
import { seedImages } from '../../src/executors/docker/pool-seeds.js';

const scope = { registry: '127.0.0.1:5000', repository: 'group/app' };

describe('seedImages', () => {
  it('keeps what the daemon pulled under that name, the project’s own branch tags, and nothing of other projects', () => {
    const seeds = seedImages(
      [
        { RepoTags: ['python:3.8-slim'], RepoDigests: ['python@sha256:aa'] },
        { RepoTags: ['docker:latest'], RepoDigests: ['docker@sha256:bb'] },
        // What the pipeline built and pushed: its branch tags seed the next build's cache, its commit tag does not.
        { RepoTags: ['127.0.0.1:5000/group/app:main', '127.0.0.1:5000/group/app:latest', '127.0.0.1:5000/group/app:0123abcd', `127.0.0.1:5000/group/app:${'f'.repeat(40)}`], RepoDigests: ['127.0.0.1:5000/group/app@sha256:cc'] },
        { RepoTags: ['127.0.0.1:5000/group/app/tools:1'], RepoDigests: ['127.0.0.1:5000/group/app/tools@sha256:dd'] },
      ],
      scope,
    );
    expect(seeds).toEqual(['python:3.8-slim', 'docker:latest', '127.0.0.1:5000/group/app:main', '127.0.0.1:5000/group/app:latest', '127.0.0.1:5000/group/app/tools:1']);
  });

  it('seeds no name a job gave with docker tag, no other project’s image and none of Slipway’s own repositories', () => {
    const seeds = seedImages(
      [
        // A job tagged a public image with another project's private name: the daemon never pulled that name.
        { RepoTags: ['python:3.8-slim', '127.0.0.1:5000/other/secret:latest'], RepoDigests: ['python@sha256:aa'] },
        // Pulled with the pipeline's own token, but Slipway's account would be the one seeding it.
        { RepoTags: ['127.0.0.1:5000/other/app:latest'], RepoDigests: ['127.0.0.1:5000/other/app@sha256:bb'] },
        { RepoTags: ['127.0.0.1:5000/group/app-evil:latest'], RepoDigests: ['127.0.0.1:5000/group/app-evil@sha256:cc'] },
        { RepoTags: ['127.0.0.1:5000/group/app/environments:prod'], RepoDigests: ['127.0.0.1:5000/group/app/environments@sha256:dd'] },
        // Built and never pushed or pulled.
        { RepoTags: ['local-only:dev'], RepoDigests: [] },
        { RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'] },
      ],
      scope,
    );
    expect(seeds).toEqual(['python:3.8-slim']);
  });

  it('keeps at most twelve', () => {
    const images = Array.from({ length: 20 }, (_, index) => ({ RepoTags: [`tool${index}:1`], RepoDigests: [`tool${index}@sha256:${index}`] }));
    expect(seedImages(images, scope)).toHaveLength(12);
  });
});
