import type { ProjectKey } from '../model/forge-event.js';
import type { Pool } from './pool.js';

/** One project per registry repository: the first to claim it keeps it. */
export function createRepositoryOwners(pool: Pool) {
  return {
    /** The repository's owner after this claim: `project` itself, or whoever had it first. */
    async claim(repository: string, project: ProjectKey): Promise<ProjectKey> {
      const { rows } = await pool.query<{ forge: ProjectKey['forge']; project: string }>(
        `WITH mine AS (
           INSERT INTO registry_repositories (repository, forge, project) VALUES ($1, $2, $3)
           ON CONFLICT (repository) DO NOTHING RETURNING forge, project
         )
         SELECT forge, project FROM mine UNION ALL SELECT forge, project FROM registry_repositories WHERE repository = $1 LIMIT 1`,
        [repository, project.forge, project.project],
      );
      return rows[0] ?? project;
    },
  };
}

/** Paths are read without regard to case on both forges: `Acme/App` is `acme/app`. */
export function sameProject(a: ProjectKey, b: ProjectKey): boolean {
  return a.forge === b.forge && a.project.toLowerCase() === b.project.toLowerCase();
}

/** Why `project` may not use `repository`, which `owner` has. */
export function repositoryTaken(repository: string, owner: ProjectKey, project: ProjectKey): string {
  return `the registry repository ${repository} belongs to ${owner.forge}:${owner.project}, so ${project.forge}:${project.project} cannot push there: one project per repository (rename one of them, or run this one on another Slipway)`;
}

export type RepositoryOwners = ReturnType<typeof createRepositoryOwners>;
