import path from 'node:path';
import { createGunzip } from 'node:zlib';
import type { ProjectKey } from '../../model/forge-event.js';
import type { ArtifactSettings } from '../artifact-store.js';
import type { TriggerJobSpec } from '../plan.js';
import type { ArtifactLedger } from './job-artifacts.js';
import { ArchiveTooLarge, readTarredFile } from './workspace-archive.js';

/** The largest child pipeline file a trigger job reads: the size of an included file. */
export const MAX_CHILD_FILE_BYTES = 1024 * 1024;

/** A path in an archive or a file, compared as written: `./a.yml`, `a.yml` and `/a.yml` are one file. */
const normal = (name: string) => path.posix.normalize(`/${name}`);

/**
 * The file a trigger job's child is read from, out of the generating job's artifacts in this
 * pipeline; else one line saying what to fix.
 */
export async function childFileOf(trigger: TriggerJobSpec, ledger: ArtifactLedger, settings: ArtifactSettings | undefined, project: ProjectKey): Promise<{ text: string } | { error: string }> {
  const { job, file } = trigger.artifact;
  if (!settings) return { error: `this Slipway keeps no artifacts, so ${trigger.name} cannot read its child pipeline from ${job}'s` };
  const saved = ledger.saved.get(job);
  if (!saved) return { error: `${job} kept no artifacts in this pipeline: run it before ${trigger.name} (an earlier stage, or needs) with ${file} in its artifacts:paths` };
  const wanted = normal(file);
  try {
    const archive = await settings.store.openArtifacts(project, saved.digest);
    const text = await readTarredFile(archive.pipe(createGunzip()), (name) => normal(name) === wanted, MAX_CHILD_FILE_BYTES);
    return text === undefined ? { error: `${job}'s artifacts have no file ${file}: write it in ${job} and list it in its artifacts:paths` } : { text };
  } catch (error) {
    if (error instanceof ArchiveTooLarge) return { error: `${file} in ${job}'s artifacts is larger than a pipeline file may be (${MAX_CHILD_FILE_BYTES / 1024 / 1024} MiB)` };
    return { error: `${job}'s artifacts could not be read: ${error instanceof Error ? error.message : String(error)}` };
  }
}
