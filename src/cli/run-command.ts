import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, secretValues } from '../config/load-config.js';
import { createDockerClient } from '../docker/docker-client.js';
import { createDockerExecutor } from '../docker/docker-executor.js';
import { removeOrphanDinds } from '../docker/dind.js';
import { dockerExecutorOptions } from '../docker/executor-from-config.js';
import { combineObservers } from '../pipeline/combine-observers.js';
import { runPipeline, type PipelineObserver, type PipelineResult } from '../pipeline/engine.js';
import { PipelineFileError } from '../pipeline/pipeline-file-error.js';
import { PROJECT_DIR } from '../pipeline/executor.js';
import { predefinedVariables } from '../pipeline/predefined-variables.js';
import { readPipelinePlan } from '../pipeline/read-pipeline-file.js';
import { recordPipeline } from '../pipeline/record-pipeline.js';
import { createPipelineStore } from '../store/pipeline-store.js';
import { createPool } from '../store/pool.js';
import { checkoutIdentity } from './checkout-identity.js';
import { jsonSummary, progressPrinter, summary } from './print-progress.js';
import { UsageError } from './usage-error.js';

export const RUN_USAGE = `usage: slipway run [DIR] [--sha SHA] [--json] [--project NAME] [--ref BRANCH] [--default-branch BRANCH] [--no-push]`;

function parseRunArgs(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      sha: { type: 'string' },
      json: { type: 'boolean', default: false },
      project: { type: 'string' },
      ref: { type: 'string' },
      'default-branch': { type: 'string', default: 'main' },
      'no-push': { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 1) throw new UsageError(`expected at most one folder, got ${positionals.length}\n${RUN_USAGE}`);
  const dir = path.resolve(positionals[0] ?? '.');
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${dir} is not a folder\n${RUN_USAGE}`);
  if (values.sha !== undefined && !/^[0-9a-f]{7,64}$/.test(values.sha)) {
    throw new UsageError(`--sha must be a commit SHA in lower-case hex (7 to 64 characters), got "${values.sha}"`);
  }
  return { dir, ...values };
}

/** `slipway run`: the pipeline of a local checkout, like `gitlab-runner exec`; 0 only if every job passed. */
export async function runCommand(args: string[]): Promise<number> {
  const options = parseRunArgs(args);
  const config = loadConfig();
  const identity = await checkoutIdentity(options.dir);
  const sha = options.sha ?? identity.sha;
  const ref = options.ref ?? identity.ref;
  const project = options.project ?? path.basename(options.dir);
  // With --json, stdout carries the one JSON object; the live log goes to stderr.
  const write = (text: string) => (options.json ? process.stderr : process.stdout).write(text);
  const report = (result: PipelineResult) => {
    if (options.json) process.stdout.write(`${JSON.stringify(jsonSummary(result))}\n`);
    else write(summary(result));
    return result.status === 'passed' ? 0 : 1;
  };

  let plan;
  try {
    // Rules are decided before the run is recorded, so CI_PIPELINE_ID reads `local` there.
    const variables = predefinedVariables({ pipelineId: 'local', project, sha, ref, defaultBranch: options['default-branch'], registry: config.registry.host, projectDir: PROJECT_DIR });
    plan = await readPipelinePlan(options.dir, variables);
  } catch (error) {
    if (!(error instanceof PipelineFileError)) throw error;
    return report({ status: 'failed', jobs: [], image: null, error: error.message, durationMs: 0 });
  }

  const host = createDockerClient(config.docker.host);
  await removeOrphanDinds(host);
  const pool = config.database.url ? createPool(config.database.url, 2) : undefined;
  const store = pool ? createPipelineStore(pool) : undefined;
  const recorded = store ? await store.create({ forge: 'local', project, sha, ref, defaultBranch: options['default-branch'] }, plan.jobs) : undefined;
  const recorder = store && recorded ? recordPipeline(store, recorded) : undefined;
  const observers: PipelineObserver[] = [progressPrinter(write), ...(recorder ? [recorder.observer] : [])];

  const controller = new AbortController();
  const cancel = () => controller.abort(new Error('canceled by signal'));
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  const id = recorded ? String(recorded.id) : `local-${Date.now().toString(36)}`;
  write(`Slipway pipeline ${id}: ${project} @ ${sha.slice(0, 12)} (${ref}), from ${plan.source}\n`);
  for (const note of plan.notes ?? []) write(`Note: ${note}\n`);
  try {
    if (recorded) await store!.markRunning(recorded.id, `local/${os.hostname()}/${process.pid}`);
    const result = await runPipeline(
      {
        id,
        project,
        sha,
        ref,
        defaultBranch: options['default-branch'],
        sourceDir: options.dir,
        plan,
        registry: config.registry.host,
        pushAllowed: !options['no-push'],
        secrets: secretValues(config),
        jobTimeoutMs: config.docker.job.timeoutMs,
        // No token realm knows a local run; a registry without authentication takes any value.
        jobToken: `slipway-local-${randomBytes(18).toString('base64url')}`,
      },
      createDockerExecutor(host, dockerExecutorOptions(config)),
      combineObservers(...observers),
      controller.signal,
    );
    if (recorder && recorded) {
      await recorder.settled();
      await store!.finish(recorded.id, result);
    }
    return report(result);
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
    await pool?.end();
  }
}
