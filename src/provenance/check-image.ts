import type { KeyObject } from 'node:crypto';
import type { VerifyImage } from '../deploy/deploy-context.js';
import { matchesRef } from '../model/ref-patterns.js';
import { parseImageReference } from '../registry/image-reference.js';
import type { RegistryClient } from '../registry/registry-client.js';
import { judgeProvenance, verifyProvenance } from './verify-provenance.js';

/** `/deploy`'s provenance check: the signature with this Slipway's key, then what the statement says. */
export function imageChecker(registryFor: (host: string) => RegistryClient, publicKey: KeyObject): VerifyImage {
  return async (image) => {
    const reference = parseImageReference(image.imageRef);
    const verified = await verifyProvenance(registryFor(reference.registry), reference.repository, image.digest, publicKey);
    if (!verified.ok) return verified;
    const judged = judgeProvenance(verified.provenances, {
      project: image.project,
      pipelineId: image.pipelineId ?? -1,
      branchesAllow: (ref) => image.branches === undefined || matchesRef(ref, image.branches),
    });
    if (!judged.ok) return judged;
    const { externalParameters: built, internalParameters: run } = judged.provenance.predicate.buildDefinition;
    return { ok: true, summary: `built by pipeline #${run.pipelineId} on ${built.ref}, signed` };
  };
}
