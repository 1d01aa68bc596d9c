import { compileSafeRegex, type SafeRegex } from './safe-regex.js';

/**
 * GitLab's `rules:if` / `only:variables` expressions: `$VAR`, quoted strings, `null`,
 * `/regex/flags`, `==`, `!=`, `=~`, `!~`, `&&`, `||` and parentheses, with `&&` binding
 * tighter than `||` as in GitLab. Parsed once, evaluated per pipeline.
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
    const variable = /^\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))/.exec(rest);
    const quoted = /^(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')/.exec(rest);
    const regex = /^\/((?:[^/\\]|\\.)*)\/([a-z]*)/.exec(rest);
    const nullWord = /^null\b/.exec(rest);
    if (operator) tokens.push({ type: 'op', value: operator[1] as '==' });
    else if (variable) tokens.push({ type: 'variable', name: (variable[1] ?? variable[2])! });
    else if (quoted) tokens.push({ type: 'string', value: (quoted[1] ?? quoted[2])!.replace(/\\(.)/g, '$1') });
    else if (regex) tokens.push({ type: 'regex', value: toRegExp(regex[1]!, regex[2]!) });
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
  function comparison(): Expression {
    const left = primary();
    const token = peek();
    if (token?.type === 'op' && ['==', '!=', '=~', '!~'].includes(token.value)) {
      position += 1;
      return { type: 'compare', op: token.value as '==', left, right: primary() };
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

function value(expression: Expression, variables: Record<string, string>): Value | boolean {
  if (expression.type !== 'operand') return evaluate(expression, variables);
  const { token } = expression;
  if (token.type === 'variable') return variables[token.name] ?? null;
  if (token.type === 'string') return token.value;
  if (token.type === 'regex') return token.value;
  return null;
}

function truthy(result: Value | boolean): boolean {
  if (typeof result === 'boolean') return result;
  return typeof result === 'string' ? result.length > 0 : result !== null;
}

/** A variable may hold a pattern written as `/…/`, as GitLab allows on the right of `=~`. */
function asRegExp(right: Value | boolean): SafeRegex {
  if (isRegex(right)) return right;
  const written = typeof right === 'string' ? /^\/(.*)\/([a-z]*)$/s.exec(right) : null;
  if (written) return toRegExp(written[1]!, written[2]!);
  throw new ExpressionError('the right side of =~ or !~ must be a /regular expression/');
}

/** True when the expression holds for these variables; an unset variable is `null`. */
export function evaluate(expression: Expression, variables: Record<string, string>): boolean {
  if (expression.type === 'operand') return truthy(value(expression, variables));
  if (expression.type === 'logic') {
    return expression.op === '&&'
      ? evaluate(expression.left, variables) && evaluate(expression.right, variables)
      : evaluate(expression.left, variables) || evaluate(expression.right, variables);
  }
  const left = value(expression.left, variables);
  const right = value(expression.right, variables);
  if (expression.op === '=~' || expression.op === '!~') {
    const matches = typeof left === 'string' && asRegExp(right).test(left);
    return expression.op === '=~' ? matches : !matches;
  }
  const equal = String(left) === String(right) && (left === null) === (right === null);
  return expression.op === '==' ? equal : !equal;
}
