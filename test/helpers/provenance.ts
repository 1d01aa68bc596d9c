import { imageAttester } from '../../src/provenance/attest-image.js';
import { loadSigningKey } from '../../src/provenance/signing-key.js';
import { readAttestations, writeAttestation } from '../../src/provenance/attestations.js';
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

/**
 * A statement claiming pipeline `pipelineId` built `image`, made by taking a genuine one for
 * another pipeline and editing its payload: what someone with push access but not the key could do.
 */
export async function tamperedStatement(image: { ref: string; digest: string }, claimed: { project: string; pipelineId: number }): Promise<void> {
  const host = image.ref.split('/')[0]!;
  const repository = image.ref.slice(host.length + 1).replace(/:[^:/]+$/, '');
  const registry = createRegistryClient({ host });
  const [genuine] = await readAttestations(registry, repository, image.digest);
  if (!genuine) throw new Error(`no statement to tamper with for ${image.digest}`);
  const statement = JSON.parse(Buffer.from(genuine.payload, 'base64').toString()) as { predicate: { buildDefinition: { internalParameters: { pipelineId: number } } } };
  statement.predicate.buildDefinition.internalParameters.pipelineId = claimed.pipelineId;
  await writeAttestation(registry, repository, image.digest, { ...genuine, payload: Buffer.from(JSON.stringify(statement)).toString('base64') }, 'https://slsa.dev/provenance/v1');
}
