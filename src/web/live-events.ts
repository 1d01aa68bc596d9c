import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { sendError } from '../http/respond.js';
import type { Route } from '../http/router.js';
import { logConverter, logLines } from './job-log.js';
import { isFinished } from './pipeline-page.js';
import { readablePipeline, type WebContext } from './web-context.js';

/** Open live streams per process: each polls the database, so they are bounded. */
const MAX_STREAMS = 200;
const HEARTBEAT_MS = 15_000;

/** `job:seq,job:seq`: the last log chunk the page has of each job. */
export function parseCursor(text: string | null | undefined): Map<number, number> {
  const cursor = new Map<number, number>();
  for (const part of (text ?? '').split(',').slice(0, 1000)) {
    const match = /^(\d{1,15}):(-1|\d{1,9})$/.exec(part.trim());
    if (match) cursor.set(Number(match[1]), Number(match[2]));
  }
  return cursor;
}

const formatCursor = (cursor: Map<number, number>) => [...cursor].map(([job, seq]) => `${job}:${seq}`).join(',');

function send(response: ServerResponse, event: string, data: unknown, id?: string): void {
  response.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * `GET /pipelines/:id/events`: server-sent events while a pipeline runs. `log` carries new
 * lines of a job, `state` the pipeline's and jobs' statuses when they change, `end` that
 * nothing more will come. Each event's id is the cursor, so a reconnecting browser
 * (Last-Event-ID) gets exactly the lines it missed.
 */
export function liveEventsRoute(context: WebContext): Route {
  let open = 0;
  const pollMs = context.livePollMs ?? 1000;
  return {
    method: 'GET',
    path: '/pipelines/:id/events',
    async handle(request, response, params) {
      const found = await readablePipeline(request, response, context, params.id, true);
      if (!found) return;
      if (open >= MAX_STREAMS) {
        response.setHeader('retry-after', '10');
        return sendError(response, 503, 'too many live pages are open on this server; reload in a moment');
      }
      open += 1;
      let closed = false;
      request.on('close', () => (closed = true));
      try {
        const lastEventId = request.headers['last-event-id'];
        const cursor = parseCursor(typeof lastEventId === 'string' ? lastEventId : new URL(request.url ?? '/', 'http://slipway').searchParams.get('cursor'));
        const converters = new Map<number, ReturnType<typeof logConverter>>();
        response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
        response.write('retry: 2000\n\n');
        let lastState = '';
        let lastBeat = Date.now();
        while (!closed) {
          const pipeline = await context.views.get(found.pipeline.id);
          if (!pipeline) break;
          for (const job of pipeline.jobs) {
            const after = cursor.get(job.id) ?? -1;
            const chunks = await context.views.logSince(job.id, after);
            if (chunks.length === 0) continue;
            const converter = converters.get(job.id) ?? logConverter();
            converters.set(job.id, converter);
            cursor.set(job.id, chunks.at(-1)!.seq);
            send(response, 'log', { job: job.id, lines: logLines(chunks.map((chunk) => chunk.content).join(''), converter) }, formatCursor(cursor));
          }
          const state = JSON.stringify({ status: pipeline.status, jobs: pipeline.jobs.map((job) => ({ id: job.id, status: job.status, durationMs: job.durationMs })) });
          if (state !== lastState) {
            lastState = state;
            send(response, 'state', JSON.parse(state));
          }
          if (isFinished(pipeline.status)) {
            // Logs are written before the pipeline is finished: one more read has them all.
            const rest = await Promise.all(pipeline.jobs.map(async (job) => (await context.views.logSince(job.id, cursor.get(job.id) ?? -1)).length));
            if (rest.every((count) => count === 0)) {
              send(response, 'end', { status: pipeline.status });
              break;
            }
            continue;
          }
          if (Date.now() - lastBeat >= HEARTBEAT_MS) {
            response.write(': still here\n\n');
            lastBeat = Date.now();
          }
          await sleep(pollMs);
        }
      } finally {
        open -= 1;
        response.end();
      }
    },
  };
}
