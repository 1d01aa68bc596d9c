import { z } from 'zod';
import type { PolicyFile } from '../config/policy-file.js';
import { projectPolicy } from '../config/policy-file.js';
import { MANIFEST_TYPES, type RegistryClient } from '../registry/registry-client.js';
import { protectedTagReason } from '../registry/protected-tags.js';
import type { AuditLog } from '../store/audit-log.js';
import type { RegistryPushStore } from '../store/registry-push-store.js';
import type { Logger } from '../telemetry/logger.js';
import { isProtectedRef, protectedPatterns } from '../variables/choose-variables.js';

/** A Distribution registry's notification: an envelope of events, each read on its own. */
export const RegistryEventsSchema = z.object({ events: z.array(z.unknown()).max(1000) });
export type RegistryEvents = z.infer<typeof RegistryEventsSchema>;

/** The fields Slipway reads of a manifest push; other events (blob pushes, pulls, deletes) need not have them. */
const PushEventSchema = z.looseObject({
  id: z.string().min(1).max(200),
  action: z.literal('push'),
  target: z.looseObject({ mediaType: z.string().optional(), repository: z.string().min(1).max(512), digest: z.string().min(1).max(200), tag: z.string().min(1).max(128) }),
  actor: z.looseObject({ name: z.string().max(200).optional() }).optional(),
});

const PIPELINE_ACTOR = /^pipeline-(\d{1,15})$/;

export interface RegistryGuardOptions {
  pushes: RegistryPushStore;
  /** Slipway's own account on the registry: what it writes is trusted. */
  registry: RegistryClient;
  ownAccount: string | undefined;
  policy: PolicyFile;
  audit: AuditLog;
  logger: Logger;
}

/**
 * What the registry reports being pushed: each tag written is recorded with who wrote it (a
 * pipeline's job token, or Slipway itself), so a pipeline's tested image is its own push; and a
 * tag an unprotected pipeline had no business writing is put back as a trusted writer left it
 * (or, where none ever wrote it, the intruding manifest is removed).
 */
export function createRegistryGuard(options: RegistryGuardOptions) {
  const { pushes, registry, logger } = options;

  async function restore(event: { id: string; repository: string; tag: string; digest: string; actor: string }, pipelineId: number, project: string, sha: string, reason: string): Promise<void> {
    const previous = await pushes.lastTrusted(event.repository, event.tag, event.id);
    let outcome: string;
    if (previous) {
      const manifest = await registry.getManifest(event.repository, previous);
      if (!manifest) throw new Error(`${event.repository}@${previous} is gone: cannot put ${event.tag} back`);
      await registry.putManifest(event.repository, event.tag, manifest);
      outcome = `put back to ${previous}`;
    } else if (!(await pushes.trustedDigest(event.repository, event.digest))) {
      await registry.deleteManifest(event.repository, event.digest);
      outcome = 'removed (no trusted writer ever wrote it)';
    } else {
      outcome = 'left: its digest is one a trusted writer pushed';
    }
    logger.warn({ repository: event.repository, tag: event.tag, pipelineId, reason, outcome }, 'an unprotected pipeline wrote a protected tag');
    await options.audit.record({
      actor: 'slipway',
      action: 'registry.tag-restored',
      project,
      sha,
      detail: { repository: event.repository, tag: event.tag, digest: event.digest, pipelineId, reason, outcome },
    });
  }

  return async function handle(body: RegistryEvents): Promise<void> {
    for (const raw of body.events) {
      // An event Slipway does not use is passed over, never refused: a refusal would stall the
      // registry's queue, which sends the same batch again until it is accepted.
      const parsed = PushEventSchema.safeParse(raw);
      if (!parsed.success) continue;
      const event = parsed.data;
      const tag = event.target.tag;
      if (event.target.mediaType && !MANIFEST_TYPES.includes(event.target.mediaType)) continue;
      const actor = event.actor?.name ?? '';
      const pipelineId = PIPELINE_ACTOR.exec(actor)?.[1];
      const pipeline = pipelineId ? await pushes.factsOf(Number(pipelineId)) : null;
      const protectedRefs = pipeline ? protectedPatterns(projectPolicy(options.policy, pipeline.project).protectedRefs, pipeline) : [];
      const trusted =
        (options.ownAccount !== undefined && actor === options.ownAccount) ||
        (pipeline !== null && !pipeline.fromFork && isProtectedRef(pipeline.ref, pipeline.defaultBranch, protectedRefs));
      const push = { eventId: event.id, repository: event.target.repository, tag, digest: event.target.digest, actor, pipelineId: pipeline ? Number(pipelineId) : null, trusted };
      if (!(await pushes.record(push))) continue;
      if (trusted || !pipeline) continue;
      const reason = protectedTagReason(tag, { sha: pipeline.sha, defaultBranch: pipeline.defaultBranch, protectedRefs });
      if (!reason) continue;
      try {
        await restore({ ...push, id: event.id }, push.pipelineId!, pipeline.project, pipeline.sha, reason);
      } catch (error) {
        // Answered 5xx: the registry delivers the event again, and the tag is restored then.
        await pushes.forget(event.id);
        throw error;
      }
    }
  };
}

export type RegistryGuard = ReturnType<typeof createRegistryGuard>;
