import type { Forge } from './forge.js';

/**
 * The forge of `slipway run` pipelines: there is nobody to report to and no archive to fetch,
 * so the store and the reporters need no special case for them.
 */
export const NULL_FORGE: Forge = {
  name: 'local',
  maxCommentLength: 0,
  fetchSource: () => Promise.reject(new Error('a local pipeline has no forge to fetch its source from')),
  setCommitStatus: async () => undefined,
  upsertComment: async () => undefined,
  changedFiles: () => Promise.reject(new Error('a local run has no forge to compare with')),
  readProjectFile: () => Promise.reject(new Error('a local run reads no other project: run it where Slipway has a forge, or copy the file into the repository')),
  reportDeployment: async () => undefined,
  commitOf: () => Promise.reject(new Error('a local run has no forge to describe its commit')),
  // Local runs have no forge to ask: only the admin sees them.
  accessOf: async () => 'none',
};
