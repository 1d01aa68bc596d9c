import { z } from 'zod';
import type { ForgeName } from '../model/forge-event.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const SLIPWAY_BUILD_TYPE = 'https://slipway.dev/pipeline/v1';

/** What Slipway vouches for about one image: which pipeline of which project built it, and how. */
export interface ProvenanceFacts {
  /** `registry/repository`, without tag or digest. */
  image: string;
  digest: string;
  forge: ForgeName;
  project: string;
  ref: string;
  sha: string;
  protectedRef: boolean;
  fromFork: boolean;
  pipelineId: number;
  pipelineUrl: string;
  pipelineFile: { path: string; sha256: string } | null;
  /** The job that pushed it, where Slipway knows it (its own build job). */
  job: string | null;
  builderId: string;
  startedOn: Date;
  finishedOn: Date;
}

/** An in-toto Statement v1 with an SLSA v1 provenance predicate. */
export function provenanceStatement(facts: ProvenanceFacts): Record<string, unknown> {
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: facts.image, digest: { sha256: facts.digest.replace(/^sha256:/, '') } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: SLIPWAY_BUILD_TYPE,
        externalParameters: {
          forge: facts.forge,
          project: facts.project,
          ref: facts.ref,
          sha: facts.sha,
          ...(facts.pipelineFile ? { pipelineFile: { path: facts.pipelineFile.path, digest: { sha256: facts.pipelineFile.sha256 } } } : {}),
        },
        internalParameters: { protectedRef: facts.protectedRef, fromFork: facts.fromFork, pipelineId: facts.pipelineId, ...(facts.job ? { job: facts.job } : {}) },
        resolvedDependencies: [{ uri: `${facts.forge}:${facts.project}@${facts.ref}`, digest: { gitCommit: facts.sha } }],
      },
      runDetails: {
        builder: { id: facts.builderId },
        metadata: { invocationId: facts.pipelineUrl, startedOn: facts.startedOn.toISOString(), finishedOn: facts.finishedOn.toISOString() },
      },
    },
  };
}

/** The fields a verifier relies on; anything else in the statement is kept, and informative. */
export const ProvenanceSchema = z.looseObject({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(z.looseObject({ name: z.string(), digest: z.looseObject({ sha256: z.string() }) })).min(1),
  predicateType: z.literal(SLSA_PROVENANCE_V1),
  predicate: z.looseObject({
    buildDefinition: z.looseObject({
      buildType: z.literal(SLIPWAY_BUILD_TYPE),
      externalParameters: z.looseObject({ forge: z.string(), project: z.string(), ref: z.string(), sha: z.string() }),
      internalParameters: z.looseObject({ protectedRef: z.boolean(), fromFork: z.boolean(), pipelineId: z.number(), job: z.string().optional() }),
    }),
    runDetails: z.looseObject({ builder: z.looseObject({ id: z.string() }), metadata: z.looseObject({ invocationId: z.string() }).optional() }),
  }),
});
export type Provenance = z.infer<typeof ProvenanceSchema>;
