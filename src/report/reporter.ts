import { setTimeout as sleep } from 'node:timers/promises';
import type { Forge } from '../forges/forge.js';
import type { ForgeName, ForgeTarget } from '../model/forge-event.js';
import type { Logger } from '../telemetry/logger.js';
import type { PipelineView, PipelineViews } from '../store/pipeline-views.js';
import { COMMENT_MARKER, commitStatusFor, renderComment } from './render-comment.js';

export interface ReporterOptions {
  /** What a report reads: the pipeline, the change request's newest one, failed jobs' last lines. */
  views: Pick<PipelineViews, 'get' | 'latestForChangeRequest' | 'logTail'>;
  forges: ReadonlyMap<ForgeName, Forge>;
  publicUrl: string;
  logger: Logger;
  /** Changes within this window are sent as one update, so a busy pipeline does not flood the forge. */
  debounceMs?: number;
  /** Delays before trying a failed report again; the result is in PostgreSQL either way. */
  retryDelaysMs?: number[];
  logTailLines?: number;
  /** Forge calls under way at once: bounds the API rate and leaves the server time to answer webhooks. */
  maxConcurrentReports?: number;
  /** Serialises comment writes for one change request across processes (a PostgreSQL advisory lock). */
  commentLock?: <T>(key: string, work: () => Promise<T>) => Promise<T>;
}

interface Slot {
  timer?: NodeJS.Timeout;
  chain: Promise<void>;
  /** Bumped by every report queued; a retrying report gives way to a newer one, which sends fresher state. */
  generation: number;
  /** Cuts short a retry's wait when a newer report is queued behind it. */
  newer: AbortController;
}

/** Runs at most `limit` pieces of work at once; the rest wait their turn in order. */
function concurrencyLimit(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (work) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await work();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

/** One report of a pipeline's state to its forge: the commit status, and the change request's one comment. */
function forgeReports(options: ReporterOptions): (pipelineId: number) => Promise<void> {
  const commentChains = new Map<string, Promise<void>>();
  const urlOf = (pipelineId: number) => `${options.publicUrl}/pipelines/${pipelineId}`;

  async function renderFor(pipeline: PipelineView, forge: Forge): Promise<string> {
    const logTails = new Map<number, string>();
    for (const job of pipeline.jobs) {
      if (job.status === 'failed') logTails.set(job.id, await options.views.logTail(job.id, options.logTailLines ?? 40));
    }
    return renderComment({ pipeline, logTails, pipelineUrl: urlOf(pipeline.id), maxLength: forge.maxCommentLength });
  }

  async function updateComment(forge: Forge, view: PipelineView): Promise<void> {
    const target: ForgeTarget = { forge: forge.name, project: view.project, apiContext: view.forgeContext };
    const changeRequest = view.changeRequest!;
    // The comment shows the change request's newest pipeline, whichever pipeline changed.
    const latestId = await options.views.latestForChangeRequest(view.forge, view.project, changeRequest);
    const shown = latestId === null || latestId === view.id ? view : await options.views.get(latestId);
    if (!shown) return;
    const body = await renderFor(shown, forge);
    const key = `${view.forge}/${view.project}!${changeRequest}`;
    // One writer per change request, so two pipelines finishing together cannot post two comments:
    // in this process by chaining, and across processes by the lock.
    const write = () => forge.upsertComment(target, changeRequest, COMMENT_MARKER, body);
    const previous = commentChains.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => (options.commentLock ? options.commentLock(key, write) : write()));
    commentChains.set(key, next);
    try {
      await next;
    } finally {
      if (commentChains.get(key) === next) commentChains.delete(key);
    }
  }

  return async (pipelineId) => {
    const view = await options.views.get(pipelineId);
    // A deployment's deploy jobs are told in chat and on the deployment; the commit's own
    // status and comment stay the tested pipeline's.
    if (!view || view.deploymentId !== null) return;
    const forge = options.forges.get(view.forge);
    if (!forge) return;
    const target: ForgeTarget = { forge: view.forge, project: view.project, apiContext: view.forgeContext };
    await forge.setCommitStatus(target, view.sha, commitStatusFor(view, urlOf(view.id)));
    if (view.changeRequest !== null) await updateComment(forge, view);
  };
}

/** Tells the forge about pipelines: a commit status per pipeline and one comment per change request. */
export function createReporter(options: ReporterOptions) {
  const debounceMs = options.debounceMs ?? 2_000;
  const retryDelaysMs = options.retryDelaysMs ?? [2_000, 10_000, 30_000, 120_000];
  const slots = new Map<number, Slot>();
  const pending = new Set<Promise<void>>();
  const stopping = new AbortController();
  const withSlot = concurrencyLimit(options.maxConcurrentReports ?? 4);
  const report = forgeReports(options);

  async function reportWithRetry(pipelineId: number, slot: Slot, generation: number): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await withSlot(() => report(pipelineId));
        return;
      } catch (error) {
        const delay = retryDelaysMs[attempt];
        options.logger.warn({ err: error, pipelineId, attempt: attempt + 1 }, 'reporting to the forge failed');
        if (delay === undefined || stopping.signal.aborted || slot.generation !== generation) return;
        const waited = await sleep(delay, true, { signal: AbortSignal.any([stopping.signal, slot.newer.signal]) }).catch(() => false);
        if (!waited || slot.generation !== generation) return;
      }
    }
  }

  function slotOf(pipelineId: number): Slot {
    let slot = slots.get(pipelineId);
    if (!slot) {
      slot = { chain: Promise.resolve(), generation: 0, newer: new AbortController() };
      slots.set(pipelineId, slot);
    }
    return slot;
  }

  function enqueue(pipelineId: number): Promise<void> {
    const slot = slotOf(pipelineId);
    clearTimeout(slot.timer);
    slot.timer = undefined;
    const generation = ++slot.generation;
    slot.newer.abort();
    slot.newer = new AbortController();
    // Reports of one pipeline go out in order: a status must never go back from success to running.
    const run = slot.chain.then(() => reportWithRetry(pipelineId, slot, generation));
    slot.chain = run;
    pending.add(run);
    void run.finally(() => {
      pending.delete(run);
      if (slot.chain === run && !slot.timer) slots.delete(pipelineId);
    });
    return run;
  }

  return {
    /** A pipeline changed: report it after the debounce window (several changes make one update). */
    changed(pipelineId: number): void {
      if (stopping.signal.aborted) return;
      const slot = slotOf(pipelineId);
      slot.timer ??= setTimeout(() => void enqueue(pipelineId), debounceMs);
    },
    /** Report now (a new pipeline, a final state); resolves when the forge has been told, or has given up. */
    now(pipelineId: number): Promise<void> {
      if (stopping.signal.aborted) return Promise.resolve();
      return enqueue(pipelineId);
    },
    /** Resolves when every report under way or scheduled has been sent. */
    async idle(): Promise<void> {
      for (const [pipelineId, slot] of slots) if (slot.timer) void enqueue(pipelineId);
      while (pending.size > 0) await Promise.all([...pending]);
    },
    /** Sends what is scheduled, stops retrying what fails, and takes no more. */
    async stop(): Promise<void> {
      stopping.abort();
      await this.idle();
    },
  };
}

export type Reporter = ReturnType<typeof createReporter>;
