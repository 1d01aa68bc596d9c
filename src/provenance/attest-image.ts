import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PipelineFacts } from '../model/pipeline-facts.js';
import { parseImageReference } from '../registry/image-reference.js';
import { writeAttestation } from './attestations.js';
import type { RegistryClient } from '../registry/registry-client.js';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope } from './dsse.js';
import { provenanceStatement, SLSA_PROVENANCE_V1 } from './provenance-statement.js';
import type { SigningKey } from './signing-key.js';

/** What a signed provenance statement says of a pipeline's image. */
export interface Attestation {
  facts: PipelineFacts;
  image: { ref: string; digest: string };
  protectedRef: boolean;
  sourceDir: string;
  job: string | null;
  startedOn: Date;
  finishedOn: Date;
}

/** The pipeline file a checkout was read from, and its digest. */
async function pipelineFileOf(sourceDir: string): Promise<{ path: string; sha256: string } | null> {
  for (const file of ['.gitlab-ci.yml', '.slipway.yml']) {
    const bytes = await readFile(path.join(sourceDir, file)).catch(() => undefined);
    if (bytes) return { path: file, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  return null;
}

/** Signs what Slipway knows of a pipeline's image and stores it beside the image, where cosign finds it. */
export function imageAttester(options: { key: SigningKey; registryFor(host: string): RegistryClient; publicUrl: string }) {
  return async (attestation: Attestation): Promise<void> => {
    const { facts } = attestation;
    const reference = parseImageReference(attestation.image.ref);
    const statement = provenanceStatement({
      image: `${reference.registry}/${reference.repository}`,
      digest: attestation.image.digest,
      forge: facts.forge,
      project: facts.project,
      ref: facts.ref,
      sha: facts.sha,
      protectedRef: attestation.protectedRef,
      fromFork: facts.fromFork,
      pipelineId: Number(facts.id),
      pipelineUrl: `${options.publicUrl}/pipelines/${facts.id}`,
      pipelineFile: await pipelineFileOf(attestation.sourceDir),
      job: attestation.job,
      builderId: options.publicUrl,
      startedOn: attestation.startedOn,
      finishedOn: attestation.finishedOn,
    });
    const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement)), options.key.privateKey, options.key.keyid);
    await writeAttestation(options.registryFor(reference.registry), reference.repository, attestation.image.digest, envelope, SLSA_PROVENANCE_V1);
  };
}
