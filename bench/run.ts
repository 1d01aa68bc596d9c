import os from 'node:os';
import { pipelineBench } from './pipeline-bench.js';
import { promotionBench } from './promotion-bench.js';
import { seedMethodsBench } from './seed-methods.js';
import { warmBench } from './warm-bench.js';
import { webhookBench } from './webhook-bench.js';

const only = process.argv[2];
console.log(`Slipway benchmarks on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
if (!only || only === 'webhooks') await webhookBench();
if (!only || only === 'promotion') await promotionBench();
if (!only || only === 'pipeline') await pipelineBench();
if (!only || only === 'warm') await seedMethodsBench();
if (!only || only === 'warm') await warmBench();
