import os from 'node:os';
import { pipelineBench } from './pipeline-bench.js';

console.log(`Slipway benchmarks on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
await pipelineBench();
