import type { KeyObject } from 'node:crypto';
import { refuse, type Checked } from '../model/refusal.js';
import { readAttestations } from '../registry/attestations.js';
import type { RegistryClient } from '../registry/registry-client.js';
import { verifyEnvelope } from './dsse.js';
import { ProvenanceSchema, type Provenance } from './provenance-statement.js';

export type VerifiedProvenance = Checked<{ provenance: Provenance }>;

/**
 * Whether `digest` in `repository` carries provenance signed with Slipway's key, about that very
 * digest. What it then says (project, ref, protection) the caller judges: this says only that
 * Slipway said it.
 */
export async function verifyProvenance(registry: RegistryClient, repository: string, digest: string, publicKey: KeyObject): Promise<VerifiedProvenance> {
  const envelopes = await readAttestations(registry, repository, digest);
  if (envelopes.length === 0) return refuse(`${digest.slice(0, 19)} has no signed provenance in ${repository}: only images a Slipway pipeline built and signed can be deployed`);
  let unsigned = 0;
  for (const envelope of envelopes) {
    const payload = verifyEnvelope(envelope, publicKey);
    if (!payload) {
      unsigned += 1;
      continue;
    }
    let parsed;
    try {
      parsed = ProvenanceSchema.safeParse(JSON.parse(payload.toString('utf8')));
    } catch {
      continue;
    }
    if (!parsed.success) continue;
    const hex = digest.replace(/^sha256:/, '');
    if (!parsed.data.subject.some((subject) => subject.digest.sha256 === hex)) return refuse(`the signed provenance in ${repository} is about another image, not ${digest.slice(0, 19)}`);
    return { ok: true, provenance: parsed.data };
  }
  if (unsigned === envelopes.length) return refuse(`the provenance of ${digest.slice(0, 19)} is not signed with this Slipway's key: it was tampered with, or made elsewhere`);
  return refuse(`the provenance of ${digest.slice(0, 19)} is not a Slipway SLSA provenance statement`);
}

/** What `/deploy` requires of a verified statement: this project, a protected ref, the environment's branches. */
export function judgeProvenance(provenance: Provenance, expected: { project: string; pipelineId: number; branchesAllow(ref: string): boolean }): Checked {
  const { externalParameters: built, internalParameters: run } = provenance.predicate.buildDefinition;
  if (built.project !== expected.project) return refuse(`the image was built for ${built.project}, not ${expected.project}`);
  if (run.pipelineId !== expected.pipelineId) return refuse(`the image was built by pipeline #${run.pipelineId}, not #${expected.pipelineId} which tested the commit`);
  if (run.fromFork || !run.protectedRef) return refuse(`the image was built on ${built.ref}, which is not a protected ref: only images built on protected refs are deployed`);
  if (!expected.branchesAllow(built.ref)) return refuse(`the image was built on ${built.ref}, which this environment's branches do not allow`);
  return { ok: true };
}
