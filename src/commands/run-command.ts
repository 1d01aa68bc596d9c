import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../config/load-config.js';
import type { PipelineFacts } from '../model/pipeline-facts.js';
import { waitsForTrigger, type PipelineResult } from '../pipeline/run/engine.js';
import { createLocalIncludeFetcher, REMOTE_INCLUDE_TIMEOUT_MS } from '../runner/fetch-include.js';
import { claimRepository, readPlan, type PipelineFileRefusal } from '../runner/prepare-pipeline.js';
import { executePipeline } from '../runner/execute-pipeline.js';
import { createRuntime } from '../wiring/create-runtime.js';
import type { PipelineQueue } from '../store/pipeline-queue.js';
import { LOCAL_LEASE_MS } from '../store/pipeline-store.js';
import { createLogger } from '../telemetry/logger.js';
import { checkoutIdentity } from './checkout-identity.js';
import { seedInBackground } from './pool-command.js';
import { jsonSummary, progressPrinter, summary, wantsColour } from './print-progress.js';
import { UsageError } from './usage-error.js';
import { parseCommandArgs } from './parse-command-args.js';
import { RUN_USAGE } from './command-usage.js';

function parseRunArgs(args: string[]) {
  const { values, positionals } = parseCommandArgs('run', args, {
    allowPositionals: true,
    options: {
      sha: { type: 'string' },
      json: { type: 'boolean', default: false },
      project: { type: 'string' },
      ref: { type: 'string' },
      'default-branch': { type: 'string', default: 'main' },
      'no-push': { type: 'boolean', default: false },
      play: { type: 'string', multiple: true, default: [] },
    },
  }, { project: 'NAME', ref: 'BRANCH', 'default-branch': 'BRANCH', play: 'JOB' });
  if (positionals.length > 1) throw new UsageError(`expected at most one folder, got ${positionals.length}\n${RUN_USAGE}`);
  const dir = path.resolve(positionals[0] ?? '.');
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${dir} is not a folder\n${RUN_USAGE}`);
  if (values.sha !== undefined && !/^[0-9a-f]{7,64}$/.test(values.sha)) {
    throw new UsageError(`--sha must be a commit SHA in lower-case hex (7 to 64 characters), got "${values.sha}"`);
  }
  return { dir, ...values };
}

/** A local checkout's facts: its own project's commit, on no forge, with no change request. */
async function localFacts(options: ReturnType<typeof parseRunArgs>, registry: string): Promise<PipelineFacts> {
  const identity = await checkoutIdentity(options.dir);
  return {
    // Rules are decided before the run is recorded, so CI_PIPELINE_ID reads `local` there.
    id: 'local',
    forge: 'local',
    project: options.project ?? path.basename(options.dir),
    sha: options.sha ?? identity.sha,
    ref: options.ref ?? identity.ref,
    defaultBranch: options['default-branch'],
    changeRequest: null,
    fromFork: false,
    diffBase: null,
    forgeProtectedRefs: [],
    registry,
  };
}

/**
 * A recorded local run is canceled from the page or the API as any pipeline is: its lease's
 * renewal says so, as a worker's does, and the run stops its jobs and ends canceled.
 */
function watchForCancel(queue: PipelineQueue, pipelineId: number, owner: string, controller: AbortController): NodeJS.Timeout {
  return setInterval(() => {
    void queue.renewLease(pipelineId, owner, LOCAL_LEASE_MS).then(
      (lease) => lease?.cancelRequested && controller.abort(new Error(lease.reason ?? 'canceled')),
      () => undefined,
    );
  }, 1_000);
}

/** EX_DATAERR: the pipeline file is the problem, not a job (`slipway run --help` says so). */
const EXIT_UNREADABLE_FILE = 65;

/** What a person reads when the file cannot be read: what, then each problem on its own line. */
function unreadableFile(refusal: PipelineFileRefusal): string {
  return `Slipway cannot read ${refusal.file}, so nothing ran:\n${refusal.problems.map((problem) => `  ${refusal.file}: ${problem}\n`).join('')}`;
}

/** With a database, the run that could not start is recorded as failed with why, as a worker records one. */
async function recordUnreadable(config: Config, facts: PipelineFacts, reason: string, write: (text: string) => void): Promise<void> {
  if (!config.database.url) return;
  const runtime = await createRuntime(config, createLogger('silent'), { database: 'if-configured' });
  try {
    const store = runtime.database?.stores.pipelines;
    if (!store) return;
    const owner = runtime.newOwnerId();
    const { id } = await store.create(facts, [], owner);
    await store.fail(id, reason, owner);
    write(`Recorded as ${config.publicUrl}/pipelines/${id}\n`);
  } finally {
    await runtime.close();
  }
}

/** Nothing to run, by the file's own choice (its workflow rules): not a failure. */
function reportSkipped(reason: string, json: boolean, write: (text: string) => void): number {
  if (json) process.stdout.write(`${JSON.stringify({ status: 'skipped', reason, jobs: [], image: null })}\n`);
  else write(`Slipway pipeline skipped: ${reason}\n`);
  return 0;
}

/** `slipway run`: the pipeline of a local checkout, like `gitlab-runner exec`; 0 only if every job passed. */
export async function runCommand(args: string[]): Promise<number> {
  const options = parseRunArgs(args);
  const config = loadConfig();
  const facts = await localFacts(options, config.registry.host);
  const { project, sha, ref } = facts;
  // With --json, stdout carries the one JSON object; the live log goes to stderr.
  const write = (text: string) => (options.json ? process.stderr : process.stdout).write(text);
  const report = (result: PipelineResult) => {
    if (options.json) process.stdout.write(`${JSON.stringify(jsonSummary(result))}\n`);
    // The time a person waited: from the command's start, the daemon's start and removal included.
    else write(summary({ ...result, durationMs: Math.round(process.uptime() * 1000) }));
    return result.status === 'passed' ? 0 : 1;
  };

  const fetchInclude = createLocalIncludeFetcher({ timeoutMs: REMOTE_INCLUDE_TIMEOUT_MS, allowedAddresses: config.source.includeAllowedAddresses });
  const read = await readPlan(options.dir, facts, { plan: { defaultImage: config.docker.job.defaultImage }, includes: () => fetchInclude });
  if (!read.ok) {
    if (options.json) report({ status: 'failed', jobs: [], image: null, error: read.reason, durationMs: 0 });
    else write(unreadableFile(read));
    await recordUnreadable(config, facts, read.reason, write);
    return EXIT_UNREADABLE_FILE;
  }
  const { plan } = read;
  if (plan.skipped !== undefined) return reportSkipped(plan.skipped, options.json, write);

  const runtime = await createRuntime(config, createLogger('silent'), { database: 'if-configured', poolHandOff: seedInBackground });
  await runtime.pipelines.executor.recoverOrphans?.();
  const owner = runtime.newOwnerId();
  // A local run pushes with Slipway's own account: never into a repository a forge's project owns.
  const claim = await claimRepository(runtime.database?.stores.repositoryOwners, facts);
  if (!claim.ok) {
    await runtime.close();
    throw new UsageError(`${claim.reason}: give this run another --project`);
  }
  const waiting = new Set(plan.jobs.filter(waitsForTrigger).map((job) => job.name));
  const unknown = options.play.filter((job) => !waiting.has(job));
  if (unknown.length > 0) {
    throw new UsageError(`--play ${unknown.join(', ')}: not a manual or delayed job of this pipeline (${waiting.size > 0 ? `those are: ${[...waiting].join(', ')}` : 'it has none'})`);
  }
  const store = runtime.database?.stores.pipelines;
  const recorded = store ? await store.create(facts, plan.jobs, owner) : undefined;
  const controller = new AbortController();
  const cancel = () => controller.abort(new Error('canceled by signal'));
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  const queue = runtime.database?.stores.queue;
  const watch = queue && recorded ? watchForCancel(queue, recorded.id, owner, controller) : undefined;
  const id = recorded ? String(recorded.id) : `local-${Date.now().toString(36)}`;
  write(`Slipway pipeline ${id}: ${project} @ ${sha.slice(0, 12)} (${ref}), from ${plan.source}\n`);
  for (const note of plan.notes ?? []) write(`Note: ${note}\n`);
  try {
    const { result } = await executePipeline(
      {
        facts: { ...facts, id },
        sourceDir: options.dir,
        plan,
        pushAllowed: !options['no-push'],
        // Nobody comes back to play a job of a local run: what it should run is said up front.
        played: new Set(options.play),
        readChild: read.readChild,
        // No token realm knows a local run; a registry without authentication takes any value.
        jobToken: `slipway-local-${randomBytes(18).toString('base64url')}`,
        ...(store && recorded ? { record: { store, recorded, owner } } : {}),
        observer: progressPrinter(write, { colour: wantsColour(options.json ? process.stderr : process.stdout), names: plan.jobs.map((job) => job.name) }),
        signal: controller.signal,
      },
      { ...runtime.pipelines, findPushedImage: undefined },
    );
    if (recorded) write(`Recorded as ${config.publicUrl}/pipelines/${recorded.id}\n`);
    return report(result);
  } finally {
    clearInterval(watch);
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
    await runtime.close();
  }
}
