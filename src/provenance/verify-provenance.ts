import type { KeyObject } from 'node:crypto';
import { refuse, type Checked } from '../model/refusal.js';
import { readAttestations } from './attestations.js';
import type { RegistryClient } from '../registry/registry-client.js';
import { verifyEnvelope } from './dsse.js';
import { ProvenanceSchema, type Provenance } from './provenance-statement.js';

export type VerifiedProvenance = Checked<{ provenances: Provenance[] }>;

/**
 * The statements about `digest` in `repository` signed with Slipway's key, newest last. What they
 * say (project, pipeline, ref) the caller judges: this says only that Slipway said it.
 */
export async function verifyProvenance(registry: RegistryClient, repository: string, digest: string, publicKey: KeyObject): Promise<VerifiedProvenance> {
  const envelopes = await readAttestations(registry, repository, digest);
  if (envelopes.length === 0) return refuse(`${digest.slice(0, 19)} has no signed provenance in ${repository}: only images a Slipway pipeline built and signed can be deployed`);
  const hex = digest.replace(/^sha256:/, '');
  const provenances: Provenance[] = [];
  let signed = 0;
  for (const envelope of envelopes) {
    const payload = verifyEnvelope(envelope, publicKey);
    if (!payload) continue;
    signed += 1;
    let parsed;
    try {
      parsed = ProvenanceSchema.safeParse(JSON.parse(payload.toString('utf8')));
    } catch {
      continue;
    }
    if (parsed.success && parsed.data.subject.some((subject) => subject.digest.sha256 === hex)) provenances.push(parsed.data);
  }
  if (signed === 0) return refuse(`the provenance of ${digest.slice(0, 19)} is not signed with this Slipway's key: it was tampered with, or made elsewhere`);
  if (provenances.length === 0) return refuse(`the signed provenance in ${repository} is not a Slipway SLSA provenance statement about ${digest.slice(0, 19)}`);
  return { ok: true, provenances };
}

/**
 * What `/deploy` requires: a statement by the pipeline that tested the commit, for this project,
 * on a protected ref the environment's `branches` allow. Of several statements (the same digest
 * built twice), the tested pipeline's is the one judged.
 */
export function judgeProvenance(provenances: readonly Provenance[], expected: { project: string; pipelineId: number; branchesAllow(ref: string): boolean }): Checked<{ provenance: Provenance }> {
  const mine = provenances.filter((each) => each.predicate.buildDefinition.externalParameters.project === expected.project);
  if (mine.length === 0) return refuse(`the image was built for ${provenances[0]?.predicate.buildDefinition.externalParameters.project ?? 'another project'}, not ${expected.project}`);
  const provenance = mine.findLast((each) => each.predicate.buildDefinition.internalParameters.pipelineId === expected.pipelineId);
  if (!provenance) return refuse(`the image was built by pipeline #${mine.at(-1)!.predicate.buildDefinition.internalParameters.pipelineId}, not #${expected.pipelineId} which tested the commit`);
  const { externalParameters: built, internalParameters: run } = provenance.predicate.buildDefinition;
  if (run.fromFork || !run.protectedRef) return refuse(`the image was built on ${built.ref}, which is not a protected ref: only images built on protected refs are deployed`);
  if (!expected.branchesAllow(built.ref)) return refuse(`the image was built on ${built.ref}, which this environment's branches do not allow`);
  return { ok: true, provenance };
}
