import type { Forge } from '../forges/forge.js';
import type { ForgeAccess, ForgeName, ForgeTarget } from '../model/forge-event.js';
import type { Logger } from '../telemetry/logger.js';
import type { Viewer } from './viewer.js';

export interface ProjectAccessOptions {
  forges: Map<ForgeName, Forge>;
  /** How the forge's API addresses a project Slipway has seen (from its newest pipeline). */
  targetOf(forge: ForgeName, project: string): Promise<ForgeTarget | null>;
  logger: Logger;
  /** How long an answer of the forge is trusted. */
  ttlMs?: number;
  maxEntries?: number;
}

/**
 * What a viewer may do with a project, as its forge says, cached briefly: a page that lists
 * fifty projects asks the forge once per project a minute, not once per view. The admin may
 * do everything; a forge user nothing on another forge's projects or on local runs. When the
 * forge cannot be asked, the answer is `none`: the UI fails closed.
 */
export function createProjectAccess(options: ProjectAccessOptions) {
  const ttlMs = options.ttlMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, { access: ForgeAccess; until: number }>();

  /** Undefined when the forge could not be asked: not cached, so the next view asks again. */
  async function ask(forgeName: ForgeName, project: string, viewer: Viewer): Promise<ForgeAccess | undefined> {
    const forge = options.forges.get(forgeName);
    const target = await options.targetOf(forgeName, project);
    if (!forge || !target) return 'none';
    try {
      return await forge.accessOf(target, { id: viewer.identity.userId, login: viewer.identity.login });
    } catch (error) {
      options.logger.warn({ err: error, forge: forgeName, project, user: viewer.identity.login }, 'could not ask the forge who may see a project');
      return undefined;
    }
  }

  return {
    async of(viewer: Viewer, forge: ForgeName, project: string): Promise<ForgeAccess> {
      if (viewer.identity.forge === null) return 'write';
      if (viewer.identity.forge !== forge) return 'none';
      const key = JSON.stringify([forge, project, viewer.identity.userId]);
      const cached = cache.get(key);
      if (cached && cached.until > Date.now()) return cached.access;
      const access = await ask(forge, project, viewer);
      if (access === undefined) return 'none';
      cache.delete(key);
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
      cache.set(key, { access, until: Date.now() + ttlMs });
      return access;
    },
  };
}

export type ProjectAccess = ReturnType<typeof createProjectAccess>;
