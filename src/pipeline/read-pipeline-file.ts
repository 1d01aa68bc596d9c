import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { PipelineFileSchema } from './pipeline-file-schema.js';
import type { JobSpec, PipelinePlan } from './plan.js';

export const PIPELINE_FILE = '.slipway.yml';

/** A pipeline file a person must fix; each problem names the field and, where known, the line. */
export class PipelineFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'PipelineFileError';
  }
}

function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

function lineOf(document: Document, text: string, issuePath: PropertyKey[], isKey: boolean): number | undefined {
  if (isKey) {
    // An unknown key is reported where the key itself is written.
    const parent = document.getIn(issuePath.slice(0, -1) as unknown[], true) ?? document.contents;
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === issuePath.at(-1));
      if (isScalar(pair?.key) && pair.key.range) return lineAt(text, pair.key.range[0]);
    }
  }
  // Walk up until the path exists: a missing key is reported at its parent's line.
  for (let depth = issuePath.length; depth > 0; depth -= 1) {
    const node = document.getIn(issuePath.slice(0, depth) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lineAt(text, node.range[0]);
  }
  return document.contents?.range ? lineAt(text, document.contents.range[0]) : undefined;
}

function describeIssue(document: Document, text: string, issue: z.core.$ZodIssue): string {
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
  return keys
    .map((key) => {
      const fullPath = key === undefined ? issue.path : [...issue.path, key];
      const field = fullPath.map(String).join('.') || 'the file';
      const message = key === undefined ? issue.message : 'is not a known key';
      const line = lineOf(document, text, fullPath, key !== undefined);
      return `${field} ${message}${line === undefined ? '' : ` (line ${line})`}`;
    })
    .join('; ');
}

/** Parses `.slipway.yml` text into a plan; `hasDockerfile` decides the default build job. */
export function parsePipelineFile(text: string, hasDockerfile: (dockerfile: string, context: string) => boolean): PipelinePlan {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new PipelineFileError(
      PIPELINE_FILE,
      document.errors.map((error) => {
        const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        return `is not valid YAML: ${reason} (line ${error.linePos?.[0]?.line ?? '?'})`;
      }),
    );
  }
  const raw: unknown = document.toJS() ?? {};
  if (!isMap(document.contents) && document.contents !== null) {
    throw new PipelineFileError(PIPELINE_FILE, ['the file must be a mapping with test and build (line 1)']);
  }
  const parsed = PipelineFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PipelineFileError(PIPELINE_FILE, parsed.error.issues.map((issue) => describeIssue(document, text, issue)));
  }
  const file = parsed.data;
  const jobs: JobSpec[] = [];
  if (file.test) {
    jobs.push({
      kind: 'test',
      name: 'test',
      stage: 'test',
      image: file.test.image,
      script: file.test.script,
      variables: file.test.variables ?? {},
      timeoutMs: file.test.timeout === undefined ? undefined : file.test.timeout * 1000,
    });
  }
  const build = file.build ?? { dockerfile: 'Dockerfile', context: '.', args: undefined };
  const explicitBuild = file.build !== undefined;
  if (build !== false && (explicitBuild || hasDockerfile(build.dockerfile, build.context))) {
    jobs.push({ kind: 'build', name: 'build', stage: 'build', dockerfile: build.dockerfile, context: build.context, buildArgs: build.args ?? {} });
  }
  if (jobs.length === 0) throw new PipelineFileError(PIPELINE_FILE, ['defines no test job and there is no Dockerfile to build']);
  return { source: PIPELINE_FILE, jobs };
}

/** The plan for a checked-out repository: its `.slipway.yml`, or a build-only plan from its Dockerfile. */
export async function readPipelinePlan(sourceDir: string): Promise<PipelinePlan> {
  const hasDockerfile = (dockerfile: string, context: string) => existsSync(path.join(sourceDir, context, dockerfile));
  const file = path.join(sourceDir, PIPELINE_FILE);
  if (existsSync(file)) return parsePipelineFile(await readFile(file, 'utf8'), hasDockerfile);
  if (hasDockerfile('Dockerfile', '.')) {
    return {
      source: 'Dockerfile',
      jobs: [{ kind: 'build', name: 'build', stage: 'build', dockerfile: 'Dockerfile', context: '.', buildArgs: {} }],
    };
  }
  throw new PipelineFileError(PIPELINE_FILE, [`not found, and there is no Dockerfile either: add a ${PIPELINE_FILE} or a Dockerfile`]);
}
