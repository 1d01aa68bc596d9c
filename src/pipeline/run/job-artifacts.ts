import type { ProjectKey } from '../../model/forge-event.js';
import type { ArtifactSettings, SavedArtifacts } from '../artifact-store.js';
import { cacheKey } from './cache-key.js';
import { JobError, type JobInput } from '../executor.js';
import { listCheckout } from '../../util/checkout-globs.js';
import { MAX_DOTENV_BYTES, parseDotenv } from './parse-dotenv.js';
import type { JobWhen, ScriptJobSpec } from '../plan.js';
import { expandVariables } from '../predefined-variables.js';
import type { WorkspaceReader } from '../executor.js';
import { ArchiveTooLarge, packWorkspace, readWorkspaceFile } from './workspace-archive.js';
import { foldersToRead, selectPaths } from './workspace-paths.js';

/** GitLab keeps artifacts 30 days unless the file says otherwise. */
export const DEFAULT_ARTIFACT_EXPIRY_SECONDS = 30 * 24 * 3600;

/** What the jobs of one pipeline have handed on so far, and the commit's own files (for `untracked`). */
export interface ArtifactLedger {
  saved: Map<string, SavedArtifacts>;
  tracked(): ReadonlySet<string>;
}

export function createLedger(sourceDir: string): ArtifactLedger {
  let tracked: Set<string> | undefined;
  return { saved: new Map(), tracked: () => (tracked ??= new Set(listCheckout(sourceDir, Number.MAX_SAFE_INTEGER))) };
}

/** The dotenv variables a job receives: those of the jobs whose artifacts it takes, in that order. */
export function dotenvFor(job: ScriptJobSpec, ledger: ArtifactLedger): Record<string, string> {
  return Object.assign({}, ...(job.artifactsFrom ?? []).map((name) => ledger.saved.get(name)?.dotenv ?? {}));
}

const whenHolds = (when: JobWhen, exitCode: number) => when === 'always' || (when === 'on_success' ? exitCode === 0 : exitCode !== 0);

/** An error's own words, with the cause a failed `fetch` keeps them in (`ECONNREFUSED 127.0.0.1:5000`). */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

const kib = (bytes: number) => `${Math.max(1, Math.round(bytes / 1024))} KiB`;

interface JobPlace {
  settings: ArtifactSettings;
  project: ProjectKey;
  pipelineId: string;
  sourceDir: string;
  job: ScriptJobSpec;
  env: Record<string, string>;
  ledger: ArtifactLedger;
  output(text: string): void;
}

/** Keys a cache is looked up under: its own, then its fallbacks, each expanded. */
function cacheKeys(place: JobPlace, cache: NonNullable<ScriptJobSpec['cache']>[number]): string[] {
  const own = cacheKey(cache.key, place.sourceDir, place.env);
  return [own, ...cache.fallbackKeys.map((key) => expandVariables(key, place.env)).filter((key) => key !== own)];
}

/**
 * What is unpacked into a job's workspace before its script: its caches (a miss is a note),
 * then the artifacts of the jobs it takes them from.
 */
export function jobInputs(place: JobPlace): JobInput[] {
  const { settings, job } = place;
  const inputs: JobInput[] = [];
  for (const cache of job.cache ?? []) {
    if (cache.policy === 'push') continue;
    inputs.push({
      open: async () => {
        const keys = cacheKeys(place, cache);
        for (const key of keys) {
          try {
            const archive = await settings.store.openCache(place.project, settings.cacheScope, key);
            if (archive) {
              place.output(`Restoring cache for key ${key}\n`);
              return archive;
            }
          } catch (error) {
            place.output(`Could not restore cache for key ${key} (the job goes on without it): ${reasonOf(error)}\n`);
            return undefined;
          }
        }
        place.output(`No cache for key ${keys.join(' or ')} yet: the job starts without it\n`);
        return undefined;
      },
    });
  }
  for (const name of job.artifactsFrom ?? []) {
    const saved = place.ledger.saved.get(name);
    if (!saved) continue;
    inputs.push({
      open: async () => {
        place.output(`Downloading artifacts of ${name} (${saved.files} files)\n`);
        try {
          return await settings.store.openArtifacts(place.project, saved.digest);
        } catch (error) {
          throw new JobError(`could not fetch the artifacts of ${name} from the registry: ${reasonOf(error)}`);
        }
      },
    });
  }
  return inputs;
}

/**
 * After the script: saves the job's caches and its artifacts (reading its dotenv reports), as
 * `when` says. Artifacts past the size limit, or a dotenv file GitLab would refuse, fail
 * the job; a cache that cannot be saved is only a note.
 */
export async function collectOutputs(place: JobPlace, exitCode: number, read: WorkspaceReader): Promise<SavedArtifacts | undefined> {
  const { settings, job } = place;
  // Caches first, then artifacts, as GitLab's runner does: a failure to keep artifacts leaves the cache saved.
  for (const cache of job.cache ?? []) {
    if (cache.policy === 'pull' || !whenHolds(cache.when, exitCode)) continue;
    const [key] = cacheKeys(place, cache);
    try {
      const packed = await packWorkspace(read, foldersToRead(cache), selectPaths(cache, cache.untracked ? place.ledger.tracked() : new Set()), settings.cacheMaxBytes);
      if (packed.files === 0) {
        place.output(`Cache for key ${key} not saved: no files matched its paths\n`);
        continue;
      }
      await settings.store.saveCache(place.project, settings.cacheScope, key!, packed.archive);
      place.output(`Saved cache for key ${key} (${packed.files} files, ${kib(packed.archive.length)})\n`);
    } catch (error) {
      const reason = error instanceof ArchiveTooLarge ? `larger than ${settings.cacheMaxBytes} bytes (SLIPWAY_CACHE_MAX_BYTES)` : reasonOf(error);
      place.output(`Cache for key ${key} not saved (the job keeps its result): ${reason}\n`);
    }
  }
  let saved: SavedArtifacts | undefined;
  const artifacts = job.artifacts;
  if (artifacts && whenHolds(artifacts.when, exitCode)) {
    const dotenv: Record<string, string> = {};
    for (const file of artifacts.dotenv) {
      let text: string | undefined;
      try {
        text = await readWorkspaceFile(read, file, MAX_DOTENV_BYTES);
      } catch (error) {
        if (!(error instanceof ArchiveTooLarge)) throw error;
        throw new JobError(`artifacts:reports:dotenv ${file} is larger than ${MAX_DOTENV_BYTES} bytes: keep it to NAME=value lines`);
      }
      if (text === undefined) {
        place.output(`artifacts:reports:dotenv ${file} was not found: no variables from it\n`);
        continue;
      }
      const parsed = parseDotenv(text);
      if ('error' in parsed) throw new JobError(`artifacts:reports:dotenv ${file} ${parsed.error}: write one NAME=value per line`);
      Object.assign(dotenv, parsed.variables);
    }
    // A dotenv report is read for its variables, not kept as a file (unless `paths` names it), as in GitLab.
    const selection = { paths: artifacts.paths, exclude: artifacts.exclude, untracked: artifacts.untracked };
    let packed;
    try {
      packed = await packWorkspace(read, foldersToRead(selection), selectPaths(selection, artifacts.untracked ? place.ledger.tracked() : new Set()), settings.maxBytes);
    } catch (error) {
      if (!(error instanceof ArchiveTooLarge)) throw error;
      throw new JobError(`artifacts are larger than ${settings.maxBytes} bytes (SLIPWAY_ARTIFACTS_MAX_BYTES) once compressed: keep fewer files in artifacts:paths, or list some under artifacts:exclude`);
    }
    if (packed.files === 0 && Object.keys(dotenv).length === 0) {
      place.output('No files matched artifacts:paths: nothing to keep\n');
    } else {
      let digest: string;
      try {
        ({ digest } = await settings.store.saveArtifacts(place.project, place.pipelineId, job.name, packed.archive));
      } catch (error) {
        throw new JobError(`could not keep the artifacts in the registry (SLIPWAY_REGISTRY): ${reasonOf(error)}`);
      }
      const expireIn = artifacts.expireInSeconds === undefined ? settings.defaultExpireInSeconds : artifacts.expireInSeconds;
      saved = {
        digest,
        size: packed.archive.length,
        files: packed.files,
        name: expandVariables(artifacts.name ?? '$CI_JOB_NAME', place.env) || job.name,
        expiresAt: expireIn === null ? null : new Date(Date.now() + expireIn * 1000),
        dotenv,
      };
      place.ledger.saved.set(job.name, saved);
      place.output(`Kept ${packed.files} files as artifacts (${kib(packed.archive.length)})${Object.keys(dotenv).length > 0 ? ` and ${Object.keys(dotenv).length} dotenv variables` : ''}\n`);
    }
  }
  return saved;
}
