import { imageAttester } from '../../src/provenance/attest-image.js';
import { loadSigningKey } from '../../src/provenance/signing-key.js';
import { createRegistryClient } from '../../src/registry/registry-client.js';
import { labFacts } from './docker-lab.js';
import { TEST_SIGNING_DIR as dir, TEST_SIGNING_KEY_FILE } from './test-signing-key.js';


/**
 * Signs `image` as the test service would have once pipeline `pipelineId` of `project` passed on
 * `ref`: what a fixture pipeline row, inserted by hand, never got from a real run.
 */
export async function signAsBuilt(image: { ref: string; digest: string }, built: { project: string; pipelineId: number; ref?: string; protectedRef?: boolean }): Promise<void> {
  const key = await loadSigningKey(TEST_SIGNING_KEY_FILE, dir);
  const host = image.ref.split('/')[0]!;
  await imageAttester({ key, registryFor: () => createRegistryClient({ host }), publicUrl: 'http://slipway.test' })({
    facts: labFacts({ id: String(built.pipelineId), project: built.project, ref: built.ref ?? 'main' }),
    image,
    protectedRef: built.protectedRef ?? true,
    sourceDir: dir,
    job: 'build',
    startedOn: new Date(),
    finishedOn: new Date(),
  });
}
