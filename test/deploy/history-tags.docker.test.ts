import { describe, expect, it } from 'vitest';
import { promoteImage, writeHistoryTag } from '../../src/deploy/promote-image.js';
import { environmentRepository } from '../../src/registry/project-repositories.js';
import { fakeSha, registry, uniqueName } from '../helpers/docker-lab.js';
import { pushTestImage } from '../helpers/test-images.js';

describe('the tags each promotion leaves beside the environment tag', () => {
  it('are written once per promotion, with seconds that always grow, and point at what was promoted', async () => {
    const project = uniqueName('slipway-test/history');
    const [first, second] = [fakeSha(), fakeSha()];
    const firstDigest = await pushTestImage(project, first, 'LABEL history=one');
    const secondDigest = await pushTestImage(project, second, 'LABEL history=two');
    const now = 1_900_000_000_000;

    await promoteImage(registry, project, first, firstDigest, 'qa');
    const a = await writeHistoryTag(registry, project, 'qa', firstDigest, first, now);
    const again = await writeHistoryTag(registry, project, 'qa', firstDigest, first, now + 5000);
    await promoteImage(registry, project, second, secondDigest, 'qa');
    // The clock went back (another machine's): the name still sorts after the last one.
    const b = await writeHistoryTag(registry, project, 'qa', secondDigest, second, now - 60_000);
    const tags = (await registry.listTags(environmentRepository(project))).filter((tag) => tag.startsWith('qa-')).sort();

    expect(a).toBe(`qa-1900000000-${first.slice(0, 12)}`);
    expect(again).toBe(a);
    expect(b).toBe(`qa-1900000001-${second.slice(0, 12)}`);
    expect(tags).toEqual([a, b]);
    expect((await registry.getManifest(environmentRepository(project), b))?.digest).toBe(secondDigest);
    expect(await registry.listTags(`${project}/nothing-here`)).toEqual([]);
  });
});
