import { compileSafeRegex, slashPattern, type SafeRegex } from '../../../util/safe-regex.js';

/**
 * GitLab's `rules:if` / `only:variables` expressions: `$VAR`, quoted strings, `null`,
 * `/regex/flags`, `==`, `!=`, `=~`, `!~`, `&&`, `||` and parentheses, with comparisons binding
 * tighter than `&&`, and `&&` tighter than `||`, all left to right, as in GitLab. Parsed once,
 * evaluated per pipeline with GitLab's own (Ruby) semantics; see `evaluate`.
 */
export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

type Token =
  | { type: 'variable'; name: string }
  | { type: 'string'; value: string }
  | { type: 'regex'; value: SafeRegex }
  | { type: 'null' }
  | { type: 'op'; value: '==' | '!=' | '=~' | '!~' | '&&' | '||' | '(' | ')' };

type Value = string | null | SafeRegex;

const isRegex = (value: unknown): value is SafeRegex => typeof value === 'object' && value !== null && 'test' in value;

export type Expression =
  | { type: 'operand'; token: Exclude<Token, { type: 'op' }> }
  | { type: 'compare'; op: '==' | '!=' | '=~' | '!~'; left: Expression; right: Expression }
  | { type: 'logic'; op: '&&' | '||'; left: Expression; right: Expression };

function toRegExp(source: string, flags: string): SafeRegex {
  try {
    return compileSafeRegex(source, flags);
  } catch (error) {
    throw new ExpressionError((error as Error).message);
  }
}

/**
 * GitLab's pattern lexeme: at least two characters between the slashes (`/./` and `//` are no
 * pattern to GitLab), then flags. Of those it reads i, m and s and ignores the rest (`/x/x`).
 */
const PATTERN = /^\/((?:[^/]|\\\/)+[^\\])\/([a-zA-Z]*)/;
const knownFlags = (flags: string) => [...flags].filter((flag) => 'ims'.includes(flag)).join('');

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const rest = text.slice(at);
    const space = /^\s+/.exec(rest);
    if (space) {
      at += space[0].length;
      continue;
    }
    const operator = /^(==|!=|=~|!~|&&|\|\||\(|\))/.exec(rest);
    if (rest.startsWith('${')) throw new ExpressionError(`"\${" at character ${at + 1}: write $NAME, GitLab takes no braces in expressions`);
    const variable = /^\$([A-Za-z_]\w*)/.exec(rest);
    const quoted = /^(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')/.exec(rest);
    const regex = PATTERN.exec(rest);
    const nullWord = /^null\b/.exec(rest);
    if (operator) tokens.push({ type: 'op', value: operator[1] as '==' });
    else if (variable) tokens.push({ type: 'variable', name: variable[1]! });
    else if (quoted) tokens.push({ type: 'string', value: (quoted[1] ?? quoted[2])!.replace(/\\(.)/g, '$1') });
    else if (regex) tokens.push({ type: 'regex', value: toRegExp(regex[1]!, knownFlags(regex[2]!)) });
    else if (rest.startsWith('/')) throw new ExpressionError(`"${rest.slice(0, 20)}" at character ${at + 1} is no pattern GitLab reads: write at least two characters between the slashes`);
    else if (nullWord) tokens.push({ type: 'null' });
    else throw new ExpressionError(`unexpected "${rest.slice(0, 20)}" at character ${at + 1}`);
    at += (operator ?? variable ?? quoted ?? regex ?? nullWord)![0].length;
  }
  return tokens;
}

/** Parses an expression; throws ExpressionError with what is wrong and where. */
export function parseExpression(text: string): Expression {
  const tokens = tokenize(text);
  let position = 0;
  const peek = () => tokens[position];
  const isOp = (value: string) => {
    const token = peek();
    return token?.type === 'op' && token.value === value;
  };

  function primary(): Expression {
    const token = tokens[position++];
    if (!token) throw new ExpressionError('the expression ends too early');
    if (token.type === 'op') {
      if (token.value !== '(') throw new ExpressionError(`unexpected "${token.value}"`);
      const inner = or();
      if (!isOp(')')) throw new ExpressionError('a "(" is never closed');
      position += 1;
      return inner;
    }
    return { type: 'operand', token };
  }
  // `$A == $B == "x"` is `($A == $B) == "x"`, as GitLab reads it.
  function comparison(): Expression {
    let left = primary();
    for (let token = peek(); token?.type === 'op' && ['==', '!=', '=~', '!~'].includes(token.value); token = peek()) {
      position += 1;
      left = { type: 'compare', op: token.value as '==', left, right: primary() };
    }
    return left;
  }
  function and(): Expression {
    let left = comparison();
    while (isOp('&&')) {
      position += 1;
      left = { type: 'logic', op: '&&', left, right: comparison() };
    }
    return left;
  }
  function or(): Expression {
    let left = and();
    while (isOp('||')) {
      position += 1;
      left = { type: 'logic', op: '||', left, right: and() };
    }
    return left;
  }

  if (tokens.length === 0) throw new ExpressionError('the expression is empty');
  const expression = or();
  if (position < tokens.length) throw new ExpressionError(`unexpected "${describe(tokens[position]!)}" after a complete expression`);
  return expression;
}

function describe(token: Token): string {
  switch (token.type) {
    case 'op':
      return token.value;
    case 'variable':
      return `$${token.name}`;
    case 'string':
      return `"${token.value}"`;
    case 'regex':
      return String(token.value);
    case 'null':
      return 'null';
  }
}

/** Ruby's truthiness, which GitLab's `&&` and `||` use: only nil and false are false ("" is true). */
const rubyTruthy = (value: Value | boolean): boolean => value !== null && value !== false;

/** ActiveSupport's `present?`, which decides the whole expression: "", "  ", nil and false are not. */
function present(value: Value | boolean): boolean {
  if (typeof value === 'string') return value.trim().length > 0;
  return rubyTruthy(value);
}

/**
 * `left =~ right` as GitLab computes it, `right.scan(left)`: with a /pattern/ (written, or held
 * in a variable) the pattern is looked for in the left side; with any other text it is the
 * other way round, the left side looked for in the right (`"23" =~ "1234"` holds). An unset
 * left side is matched as ""; an unset right side matches nothing.
 */
function matches(left: Value | boolean, right: Value | boolean): boolean {
  if (right === null || right === false) return false;
  const text = typeof left === 'string' ? left : left === null || left === false ? '' : String(left);
  if (isRegex(right)) return right.test(text);
  const written = slashPattern(String(right));
  if (written) return toRegExp(written.source, knownFlags(written.flags)).test(text);
  return String(right).includes(text);
}

function same(left: Value | boolean, right: Value | boolean): boolean {
  if (isRegex(left) || isRegex(right)) return isRegex(left) && isRegex(right) && String(left) === String(right);
  return left === right;
}

/** The expression's value as GitLab computes it: `&&` and `||` give one of their sides, comparisons a boolean. */
function valueOf(expression: Expression, variables: Record<string, string>): Value | boolean {
  if (expression.type === 'operand') {
    const { token } = expression;
    if (token.type === 'variable') return Object.hasOwn(variables, token.name) ? variables[token.name]! : null;
    if (token.type === 'string') return token.value;
    if (token.type === 'regex') return token.value;
    return null;
  }
  if (expression.type === 'logic') {
    const left = valueOf(expression.left, variables);
    if (expression.op === '&&') return rubyTruthy(left) ? valueOf(expression.right, variables) : left;
    return rubyTruthy(left) ? left : valueOf(expression.right, variables);
  }
  const left = valueOf(expression.left, variables);
  const right = valueOf(expression.right, variables);
  switch (expression.op) {
    case '==':
      return same(left, right);
    case '!=':
      return !same(left, right);
    case '=~':
      return matches(left, right);
    case '!~':
      return !matches(left, right);
  }
}

/** True when the expression holds for these variables (an unset variable is `null`), as in GitLab. */
export function evaluate(expression: Expression, variables: Record<string, string>): boolean {
  return present(valueOf(expression, variables));
}
