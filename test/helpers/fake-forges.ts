import nock from 'nock';
import { gitlabWorldAnswer } from './gitlab-world.js';

export interface FakeComment {
  id: number;
  body: string;
}

export interface FakeStatus {
  sha: string;
  /** GitLab's status name (context); `slipway` unless a deploy status. */
  name?: string;
  state: string;
  description: string;
  targetUrl: string;
}

/** What a fake forge was asked to do: every comment body it was given, in order, and every status. */
export interface ForgeRecord {
  comments: Map<number, FakeComment[]>;
  bodies: string[];
  created: number;
  statuses: FakeStatus[];
  /** GitHub check runs as they stand, and every write to them in order. */
  checkRuns: FakeCheckRun[];
  checkWrites: Array<{ name: string; status: string; conclusion: string | null }>;
}

export interface FakeCheckRun {
  id: number;
  sha: string;
  name: string;
  external_id: string;
  status: string;
  conclusion: string | null;
  details_url: string;
  output: { title: string; summary: string };
}

function newRecord(): ForgeRecord {
  return { comments: new Map(), bodies: [], created: 0, statuses: [], checkRuns: [], checkWrites: [] };
}

let nextId = 1000;

/** GitLab's REST API v4, as far as Slipway uses it, answering from memory. */
export function fakeGitlab(baseUrl: string, archives: Map<string, Buffer>, options: { failStatuses?: number; commits?: Map<string, { title: string; author_name: string; delayMs?: number }> } = {}) {
  const record = newRecord();
  let statusFailures = options.failStatuses ?? 0;
  const worldPath = (uri: string) => new URL(uri, baseUrl).pathname;
  const scope = nock(baseUrl)
    .persist()
    // Projects, branches, merge requests and notes: what verifying a hook asks.
    .get((uri) => gitlabWorldAnswer('GET', worldPath(uri)) !== undefined)
    .query(true)
    .reply((uri) => gitlabWorldAnswer('GET', worldPath(uri))!)
    .get(/^\/api\/v4\/projects\/\d+\/repository\/archive\.tar\.gz/)
    .query(true)
    .reply((uri) => {
      const sha = new URL(uri, baseUrl).searchParams.get('sha') ?? '';
      const archive = archives.get(sha);
      return archive ? [200, archive, { 'content-type': 'application/x-gzip' }] : [404, { message: '404 Commit Not Found' }];
    })
    .get(/^\/api\/v4\/projects\/\d+\/repository\/commits\/[0-9a-f]{40}/)
    .query(true)
    .reply(async (uri) => {
      const sha = /commits\/([0-9a-f]{40})/.exec(uri)![1]!;
      const found = options.commits?.get(sha);
      if (!found) return [404, { message: '404 Commit Not Found' }];
      const { delayMs = 0, ...commit } = found;
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return [200, { id: sha, short_id: sha.slice(0, 8), ...commit }];
    })
    .post(/^\/api\/v4\/projects\/\d+\/statuses\/[0-9a-f]{40}$/)
    .reply((uri, body) => {
      if (statusFailures > 0) {
        statusFailures -= 1;
        return [502, { message: 'Bad Gateway' }];
      }
      const payload = body as { state: string; name: string; description: string; target_url: string };
      record.statuses.push({ sha: uri.split('/').pop()!, name: payload.name, state: payload.state, description: payload.description, targetUrl: payload.target_url });
      return [201, { id: nextId++, status: payload.state }];
    })
    .get(/^\/api\/v4\/projects\/\d+\/merge_requests\/\d+\/notes/)
    .query(true)
    .reply((uri) => {
      const iid = Number(/merge_requests\/(\d+)\/notes/.exec(uri)![1]);
      return [200, (record.comments.get(iid) ?? []).map((note) => ({ id: note.id, body: note.body, system: false }))];
    })
    .post(/^\/api\/v4\/projects\/\d+\/merge_requests\/\d+\/notes$/)
    .reply((uri, body) => {
      const iid = Number(/merge_requests\/(\d+)\/notes/.exec(uri)![1]);
      const note = { id: nextId++, body: (body as { body: string }).body };
      record.comments.set(iid, [...(record.comments.get(iid) ?? []), note]);
      record.created += 1;
      record.bodies.push(note.body);
      return [201, note];
    })
    .put(/^\/api\/v4\/projects\/\d+\/merge_requests\/\d+\/notes\/\d+$/)
    .reply((uri, body) => {
      const [, iid, noteId] = /merge_requests\/(\d+)\/notes\/(\d+)/.exec(uri)!;
      const note = record.comments.get(Number(iid))?.find((candidate) => candidate.id === Number(noteId));
      if (!note) return [404, { message: '404 Not found' }];
      note.body = (body as { body: string }).body;
      record.bodies.push(note.body);
      return [200, note];
    });
  return { record, scope };
}

/** The GitHub REST API (installation token, tarball, statuses, issue comments), answering from memory. */
export function fakeGithub(archives: Map<string, Buffer>, baseUrl = 'https://api.github.com') {
  const record = newRecord();
  const scope = nock(baseUrl)
    .persist()
    .post(/^\/app\/installations\/\d+\/access_tokens$/)
    .reply(201, { token: 'ghs_installation_token', expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: {} })
    .get(/^\/repos\/[^/]+\/[^/]+\/tarball\/[0-9a-f]{40}$/)
    .reply((uri) => {
      const archive = archives.get(uri.split('/').pop()!);
      return archive ? [200, archive, { 'content-type': 'application/x-gzip' }] : [404, { message: 'Not Found' }];
    })
    .post(/^\/repos\/[^/]+\/[^/]+\/statuses\/[0-9a-f]{40}$/)
    .reply((uri, body) => {
      const payload = body as { state: string; description: string; target_url: string };
      record.statuses.push({ sha: uri.split('/').pop()!, state: payload.state, description: payload.description, targetUrl: payload.target_url });
      return [201, { id: nextId++, state: payload.state }];
    })
    .get(/^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments/)
    .query(true)
    .reply((uri) => {
      const number = Number(/issues\/(\d+)\/comments/.exec(uri)![1]);
      return [200, record.comments.get(number) ?? []];
    })
    .post(/^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/)
    .reply((uri, body) => {
      const number = Number(/issues\/(\d+)\/comments/.exec(uri)![1]);
      const comment = { id: nextId++, body: (body as { body: string }).body };
      record.comments.set(number, [...(record.comments.get(number) ?? []), comment]);
      record.created += 1;
      record.bodies.push(comment.body);
      return [201, comment];
    })
    .get(/^\/repos\/[^/]+\/[^/]+\/commits\/[0-9a-f]{40}\/check-runs/)
    .query(true)
    .reply((uri) => {
      const sha = /commits\/([0-9a-f]{40})\//.exec(uri)![1];
      const runs = record.checkRuns.filter((run) => run.sha === sha);
      return [200, { total_count: runs.length, check_runs: runs }];
    })
    .post(/^\/repos\/[^/]+\/[^/]+\/check-runs$/)
    .reply((_uri, body) => {
      const payload = body as Omit<FakeCheckRun, 'id' | 'sha' | 'conclusion'> & { head_sha: string; conclusion?: string };
      const run: FakeCheckRun = { id: nextId++, sha: payload.head_sha, name: payload.name, external_id: payload.external_id, status: payload.status, conclusion: payload.conclusion ?? null, details_url: payload.details_url, output: payload.output };
      record.checkRuns.push(run);
      record.checkWrites.push({ name: run.name, status: run.status, conclusion: run.conclusion });
      return [201, run];
    })
    .patch(/^\/repos\/[^/]+\/[^/]+\/check-runs\/\d+$/)
    .reply((uri, body) => {
      const run = record.checkRuns.find((candidate) => candidate.id === Number(uri.split('/').pop()));
      if (!run) return [404, { message: 'Not Found' }];
      const payload = body as Partial<FakeCheckRun>;
      Object.assign(run, { status: payload.status, conclusion: payload.conclusion ?? null, output: payload.output, details_url: payload.details_url });
      record.checkWrites.push({ name: run.name, status: run.status, conclusion: run.conclusion });
      return [200, run];
    })
    .patch(/^\/repos\/[^/]+\/[^/]+\/issues\/comments\/\d+$/)
    .reply((uri, body) => {
      const id = Number(uri.split('/').pop());
      const comment = [...record.comments.values()].flat().find((candidate) => candidate.id === id);
      if (!comment) return [404, { message: 'Not Found' }];
      comment.body = (body as { body: string }).body;
      record.bodies.push(comment.body);
      return [200, comment];
    });
  return { record, scope };
}
