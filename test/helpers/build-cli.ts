import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

// Tests that start `slipway` as its own process run the compiled CLI, as `npm start` does:
// loading the TypeScript sources through a loader costs seconds per process, compiling once
// costs seconds per suite.

const ROOT = path.resolve(import.meta.dirname, '../..');
export const TEST_BUILD = path.join(ROOT, '.test-build');

function newest(folder: string): number {
  return Math.max(0, ...readdirSync(folder, { withFileTypes: true, recursive: true }).filter((entry) => entry.isFile()).map((entry) => statSync(path.join(entry.parentPath, entry.name)).mtimeMs));
}

export default function setup(): void {
  const built = (() => {
    try {
      return newest(TEST_BUILD);
    } catch {
      return 0;
    }
  })();
  if (built > newest(path.join(ROOT, 'src'))) return;
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', TEST_BUILD], { stdio: 'inherit' });
}
