import type { PipelineStore, RecordedPipeline } from '../store/pipeline-store.js';
import type { PipelineObserver } from '../pipeline/run/engine.js';

const FLUSH_BYTES = 16 * 1024;
const FLUSH_INTERVAL_MS = 500;

/**
 * An observer that keeps job states and logs in PostgreSQL. Log text is written in chunks
 * (every 16 KiB or half second) so a chatty job costs a few rows, not one per line.
 */
export function recordPipeline(store: PipelineStore, recorded: RecordedPipeline) {
  const pending = new Map<number, { text: string; seq: number; timer?: NodeJS.Timeout }>();
  let writes: Promise<unknown> = Promise.resolve();
  let failure: unknown;
  const enqueue = (write: () => Promise<unknown>) => {
    writes = writes.then(write).catch((error: unknown) => {
      failure ??= error;
    });
  };
  const jobId = (name: string) => {
    const id = recorded.jobIds.get(name);
    if (id === undefined) throw new Error(`job ${name} was not recorded`);
    return id;
  };
  const flush = (id: number) => {
    const buffer = pending.get(id);
    if (!buffer || buffer.text.length === 0) return;
    clearTimeout(buffer.timer);
    buffer.timer = undefined;
    const content = buffer.text;
    const seq = buffer.seq++;
    buffer.text = '';
    enqueue(() => store.appendLog(id, seq, content));
  };

  const observer: PipelineObserver = {
    jobStarted(job) {
      const id = jobId(job.name);
      pending.set(id, { text: '', seq: 0 });
      enqueue(() => store.markJobRunning(id));
    },
    jobOutput(job, text) {
      const id = jobId(job.name);
      const buffer = pending.get(id);
      if (!buffer) return;
      buffer.text += text;
      if (buffer.text.length >= FLUSH_BYTES) flush(id);
      else buffer.timer ??= setTimeout(() => flush(id), FLUSH_INTERVAL_MS);
    },
    async jobFinished(job, result) {
      const id = jobId(job.name);
      flush(id);
      enqueue(() => store.finishJob(id, result));
      if (result.services?.length) enqueue(() => store.saveServiceLogs(id, result.services!));
      await writes;
    },
    async jobsAdded(jobs) {
      await writes;
      const ids = await store.addJobs(recorded.id, jobs);
      for (const [name, id] of ids) recorded.jobIds.set(name, id);
    },
    artifactsSaved(job, artifacts) {
      const id = jobId(job.name);
      enqueue(() => store.saveArtifacts(id, artifacts));
    },
  };

  return {
    observer,
    /** Resolves when every write so far is done; rejects with the first write that failed. */
    async settled(): Promise<void> {
      for (const id of pending.keys()) flush(id);
      await writes;
      if (failure) throw failure;
    },
  };
}
