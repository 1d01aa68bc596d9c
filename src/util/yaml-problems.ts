import { isMap, isScalar, type Document, type YAMLError } from 'yaml';

// What a person is told about a YAML file they wrote (a pipeline file, SLIPWAY_CONFIG): the
// parser's mistakes in plain words, and where.

/** A YAML file as parsed: its text, and the document with each node's place in it. */
export interface YamlText {
  document: Document;
  text: string;
}

/** The 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/**
 * The YAML parser's mistakes people make most, in plain words with what to do; the parser's own
 * words for the rest.
 */
function plainWords(code: string, parserWords: string): string {
  switch (code) {
    case 'BLOCK_AS_IMPLICIT_KEY':
      return `a value holds ": " as if it were another key (as in script: echo: hi): put the value in quotes`;
    case 'BAD_INDENT':
      if (/^Flow (sequence|mapping)/.test(parserWords)) return `a ${parserWords.startsWith('Flow sequence') ? '[' : '{'} is not closed: close it with ${parserWords.startsWith('Flow sequence') ? ']' : '}'}, or put the value in quotes`;
      if (/same column/.test(parserWords)) return 'this key is not lined up with the keys before it: indent it as they are';
      return `this line is indented wrongly (${parserWords}): indent it as the rest of its mapping or list`;
    case 'TAB_AS_INDENT':
      return 'this line is indented with a tab: YAML indents with spaces only';
    case 'DUPLICATE_KEY':
      return 'a key is written twice in one mapping: keep one';
    case 'BAD_SCALAR_START':
      return `a value starts with a character YAML keeps for itself (${parserWords.at(-1)}): put the value in quotes`;
    case 'MULTILINE_IMPLICIT_KEY':
      return 'a key runs over two lines (a colon missing, or a value not indented under its key): write key: value on one line';
    case 'MISSING_CHAR':
      return /quote/.test(parserWords) ? 'a quote is not closed: close it where the value ends' : parserWords;
    default:
      return parserWords;
  }
}

/** One parser error as a problem of the file: plain words, then where (past the last line: the end of the file). */
export function yamlProblem(error: YAMLError, text: string): string {
  const parserWords = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  const at = error.linePos?.[0];
  const lines = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
  const where = at === undefined ? 'line ?' : at.line > lines ? `at the end of the file, line ${lines}` : `line ${at.line}, column ${at.col}`;
  return `is not valid YAML: ${plainWords(error.code, parserWords)} (${where})`;
}

function keyLine(yaml: YamlText, path: readonly PropertyKey[]): number | undefined {
  const parent = yaml.document.getIn(path.slice(0, -1) as unknown[], true) ?? yaml.document.contents;
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path.at(-1));
  return isScalar(pair?.key) && pair.key.range ? lineAt(yaml.text, pair.key.range[0]) : undefined;
}

/**
 * The line of `path` in the file: the key's own line for `isKey`, else the value's; a path
 * that does not exist (a missing key) is reported at the key of its nearest parent.
 */
export function lineOf(yaml: YamlText, path: readonly PropertyKey[], isKey = false): number | undefined {
  const { document, text } = yaml;
  if (isKey) {
    const line = keyLine(yaml, path);
    if (line !== undefined) return line;
  }
  for (let depth = path.length; depth > 0; depth -= 1) {
    const node = document.getIn(path.slice(0, depth) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (!node?.range) continue;
    return (depth < path.length ? keyLine(yaml, path.slice(0, depth)) : undefined) ?? lineAt(text, node.range[0]);
  }
  return document.contents?.range ? lineAt(text, document.contents.range[0]) : undefined;
}
