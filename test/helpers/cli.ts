import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `slipway ARGS` as a separate process, compiled from the sources once per run (test/helpers/build-cli.ts). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): ChildProcessWithoutNullStreams {
  const profile = process.env.SLIPWAY_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SLIPWAY_CPU_PROFILE_DIR}`] : [];
  // Colour only where a test asks for it: the runner's own FORCE_COLOR is not the CLI's.
  const { FORCE_COLOR: _runnerColour, ...inherited } = process.env;
  return spawn(process.execPath, [...profile, path.join(ROOT, '.test-build/cli.js'), ...args], {
    cwd,
    env: { ...inherited, LOG_LEVEL: 'info', ...env },
  });
}

/** `slipway run`'s output with each job line's `name | ` taken off, as the job printed it. */
export function jobText(output: string): string {
  return output.replace(/^[^|\n]*? \| /gm, '');
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<CliResult> {
  return finished(spawnCli(args, env, cwd));
}

export function finished(child: ChildProcessWithoutNullStreams): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Resolves with the port from the service's `listening` log line. */
export function listeningPort(child: ChildProcessWithoutNullStreams, timeoutMs = 60_000): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no "listening" line within ${timeoutMs} ms:\n${buffered}`)), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const found = /"port":(\d+),"msg":"listening"/.exec(buffered);
      if (found) {
        clearTimeout(timer);
        resolve(Number(found[1]));
      }
    });
    child.on('close', () => reject(new Error(`exited before listening:\n${buffered}`)));
  });
}
