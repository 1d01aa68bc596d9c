import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The shape docs/architecture.md describes, checked from the imports themselves so the page and
// the code cannot drift apart unnoticed.

const SRC = path.resolve(import.meta.dirname, '../src');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

interface Import {
  from: string;
  /** A file under src/ for a relative import; the package name otherwise. */
  to: string;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s*'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((match) => {
    const spec = (match[1] ?? match[2])!;
    if (!spec.startsWith('.')) return { from: file, to: spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]! };
    return { from: file, to: path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts') };
  });
}

const files = sourceFiles(SRC);
const imports = files.flatMap(importsOf);
const local = imports.filter((edge) => edge.to.startsWith(SRC));
const relative = (file: string) => path.relative(SRC, file);
/** The folder a file belongs to for the layering rules: `pipeline/read`, `store`, `cli.ts`'s ''. */
const folderOf = (file: string) => {
  const parts = relative(file).split(path.sep).slice(0, -1);
  return parts[0] === 'pipeline' && (parts[1] === 'read' || parts[1] === 'run') ? `pipeline/${parts[1]}` : (parts[0] ?? '');
};

function cycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);
  return found;
}

function graph(key: (file: string) => string): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const edge of local) {
    const [from, to] = [key(edge.from), key(edge.to)];
    if (from === to) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)!.add(to);
  }
  return edges;
}

const importers = (predicate: (to: string) => boolean) => [...new Set(imports.filter((edge) => predicate(edge.to)).map((edge) => relative(edge.from)))].sort();

describe('the shape of src/', () => {
  it('has no folder that imports a folder importing it back', () => {
    const folderGraph = graph((file) => folderOf(file).split('/')[0]!);
    // pipeline/read and pipeline/run are judged apart below; as one folder they form no cycle either.
    expect(cycles(folderGraph).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('has no file that imports a file importing it back', () => {
    expect(cycles(graph((file) => relative(file))).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('keeps reading a pipeline and running it apart: they meet only in the contract', () => {
    const crossing = local
      .filter((edge) => {
        const [from, to] = [folderOf(edge.from), folderOf(edge.to)];
        return (from === 'pipeline/read' && to === 'pipeline/run') || (from === 'pipeline/run' && to === 'pipeline/read');
      })
      .map((edge) => `${relative(edge.from)} -> ${relative(edge.to)}`);
    expect(crossing).toEqual([]);
  });

  it('has a contract that names neither its readers nor its runner', () => {
    const contract = local.filter((edge) => folderOf(edge.from) === 'pipeline');
    const outward = contract.filter((edge) => !['pipeline', 'model', 'util'].includes(folderOf(edge.to))).map((edge) => `${relative(edge.from)} -> ${relative(edge.to)}`);
    expect(outward).toEqual([]);
  });

  it('keeps the pipeline, the model and the helpers pure: no I/O library, no HTTP, no database', () => {
    const pure = imports.filter((edge) => ['pipeline', 'pipeline/read', 'pipeline/run', 'model', 'util'].includes(folderOf(edge.from)));
    const outside = pure.filter((edge) => !edge.to.startsWith(SRC) && /^(dockerode|pg|probot|@slack|@gitbeaker|@octokit|node:http|node:https|undici)$/.test(edge.to));
    expect(outside.map((edge) => `${relative(edge.from)} -> ${edge.to}`)).toEqual([]);
    const inward = pure.filter((edge) => edge.to.startsWith(SRC) && !['pipeline', 'pipeline/read', 'pipeline/run', 'model', 'util'].includes(folderOf(edge.to)));
    expect(inward.map((edge) => `${relative(edge.from)} -> ${relative(edge.to)}`)).toEqual([]);
  });

  it('keeps each outside library in the one folder that owns it', () => {
    const owners: Record<string, RegExp> = {
      dockerode: /^executors\/docker\//,
      '@slack/bolt': /^chatops\//,
      '@gitbeaker/rest': /^forges\/gitlab\//,
      probot: /^forges\/github\//,
      pg: /^store\//,
    };
    for (const [library, owner] of Object.entries(owners)) {
      expect(importers((to) => to === library).filter((file) => !owner.test(file)), library).toEqual([]);
    }
  });

  it('reaches Docker only through the executors’ factory: a second executor changes one folder', () => {
    const docker = path.join(SRC, 'executors', 'docker');
    expect(importers((to) => to.startsWith(docker)).filter((file) => !file.startsWith('executors/'))).toEqual([]);
  });

  it('has no function longer than 80 lines: a long one is steps waiting for names', () => {
    const long: string[] = [];
    for (const file of files) {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const lines = source.getLineAndCharacterOfPosition(node.getEnd()).line - source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          if (lines > 80) long.push(`${relative(file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} (${lines} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(long).toEqual([]);
  });

  it('keeps utilities out of the model: it holds the domain and nothing else', () => {
    const helpers = ['within-time.ts', 'tokens-match.ts', 'format-duration.ts', 'safe-regex.ts'];
    expect(readdirSync(path.join(SRC, 'model')).filter((name) => helpers.includes(name))).toEqual([]);
  });
});
