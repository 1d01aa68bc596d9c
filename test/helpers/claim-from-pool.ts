// A separate process that claims from the pool when told to: lets a test race two claimers.
import { createInterface } from 'node:readline';
import { createDockerClient } from '../../src/executors/docker/docker-client.js';
import { claimFromPool } from '../../src/executors/docker/dind-pool.js';
import { ownerLabel } from '../../src/executors/owner-label.js';
import { executorOptions } from './docker-lab.js';

const [affinity, pipelineId] = process.argv.slice(2);
const host = createDockerClient();
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'go') continue;
  const daemon = await claimFromPool(host, affinity!, pipelineId!, ownerLabel(), executorOptions.dind, { size: 8, perProject: 4, idleMs: 600_000, lifetime: 'process' });
  // Exits holding its claim, as a worker that dies mid-pipeline would.
  process.stdout.write(`${JSON.stringify({ claimed: daemon?.containerId ?? null })}\n`);
  process.exit(0);
}
