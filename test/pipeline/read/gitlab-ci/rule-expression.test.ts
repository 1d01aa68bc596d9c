import { describe, expect, it } from 'vitest';
import { evaluate, ExpressionError, parseExpression } from '../../../../src/pipeline/read/gitlab-ci/rule-expression.js';

const mergeRequest = { CI_PIPELINE_SOURCE: 'merge_request_event', CI_MERGE_REQUEST_IID: '4', CI_DEFAULT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'feature/x', EMPTY: '' };
const branch = { CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BRANCH: 'main', CI_DEFAULT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'main' };
const holds = (text: string, variables: Record<string, string>) => evaluate(parseExpression(text), variables);

describe('rules:if expressions', () => {
  it('compares variables with strings, other variables and null', () => {
    expect(holds('$CI_PIPELINE_SOURCE == "merge_request_event"', mergeRequest)).toBe(true);
    expect(holds("$CI_PIPELINE_SOURCE == 'merge_request_event'", branch)).toBe(false);
    expect(holds('$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH', branch)).toBe(true);
    expect(holds('$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH', mergeRequest)).toBe(false);
    expect(holds('$CI_COMMIT_BRANCH != "main"', branch)).toBe(false);
    expect(holds('$CI_COMMIT_BRANCH == null', mergeRequest)).toBe(true);
    expect(holds('$EMPTY == ""', mergeRequest)).toBe(true);
    expect(holds('$EMPTY == null', mergeRequest)).toBe(false);
  });

  it('treats a bare variable as true when set and not empty', () => {
    expect(holds('$CI_MERGE_REQUEST_IID', mergeRequest)).toBe(true);
    expect(holds('$CI_MERGE_REQUEST_IID', branch)).toBe(false);
    expect(holds('$EMPTY', mergeRequest)).toBe(false);
  });

  it('matches regular expressions, written inline or held in a variable', () => {
    expect(holds('$CI_COMMIT_REF_NAME =~ /^feature\\//', mergeRequest)).toBe(true);
    expect(holds('$CI_COMMIT_REF_NAME !~ /^feature\\//', mergeRequest)).toBe(false);
    expect(holds('$CI_COMMIT_REF_NAME =~ /^MAIN$/i', branch)).toBe(true);
    expect(holds('$CI_COMMIT_REF_NAME =~ $PATTERN', { ...branch, PATTERN: '/^ma/' })).toBe(true);
    expect(holds('$UNSET =~ /xy/', branch)).toBe(false);
  });

  it('binds && tighter than ||, and honours parentheses', () => {
    expect(holds('$CI_MERGE_REQUEST_IID || $CI_COMMIT_BRANCH == "main" && $CI_PIPELINE_SOURCE == "push"', branch)).toBe(true);
    expect(holds('($CI_MERGE_REQUEST_IID || $CI_COMMIT_BRANCH) && $CI_PIPELINE_SOURCE == "web"', branch)).toBe(false);
    expect(holds('$CI_MERGE_REQUEST_IID && $CI_COMMIT_BRANCH', mergeRequest)).toBe(false);
  });

  it('says what is wrong with an expression it cannot read', () => {
    expect(() => parseExpression('$A = "x"')).toThrow(ExpressionError);
    expect(() => parseExpression('$A = "x"')).toThrow('unexpected "= "x"" at character 4');
    expect(() => parseExpression('($A == "x"')).toThrow('a "(" is never closed');
    expect(() => parseExpression('$A ==')).toThrow('the expression ends too early');
    expect(() => parseExpression('$A "x"')).toThrow('unexpected ""x"" after a complete expression');
    expect(() => parseExpression('$A =~ /((/')).toThrow('is not a valid regular expression');
    expect(() => parseExpression('${CI_COMMIT_BRANCH} == "main"')).toThrow('"${" at character 1: write $NAME, GitLab takes no braces in expressions');
    // GitLab's pattern has at least two characters between its slashes.
    expect(() => parseExpression('$A =~ /./')).toThrow('"/./" at character 7 is no pattern GitLab reads: write at least two characters between the slashes');
    expect(() => parseExpression('$A =~ //')).toThrow('"//" at character 7 is no pattern GitLab reads: write at least two characters between the slashes');
  });
});

/**
 * GitLab's own documented cases (the "CI/CD variable expressions" and `rules:if` pages) and
 * the corners where its Ruby semantics differ from a naive reading.
 */
describe('rules:if as GitLab evaluates it', () => {
  const variables = { SET: 'content here', EMPTY: '', BLANK: '  ', OTHER: 'something', THING: 'thing', PATTERN: '/^cont/', PLAIN: 'tent' };
  it.each([
    ['$SET == "content here"', true],
    ['"content here" == $SET', true],
    ['$UNSET == null', true],
    ['$SET != null', true],
    ['$EMPTY == ""', true],
    ['$UNSET == ""', false],
    ['$UNSET != ""', true],
    ['$SET', true],
    ['$EMPTY', false],
    ['$BLANK', false],
    ['$UNSET', false],
    ['$SET =~ /^content.*/', true],
    ['$SET !~ /^content.*/', false],
    ['$SET =~ /^CONTENT/', false],
    ['$SET =~ /^CONTENT/i', true],
    ['$SET =~ $PATTERN', true],
    // A right side that is not /…/ is text, and GitLab looks for the left side in it (`right.scan(left)`).
    ['"23" =~ "1234"', true],
    ['"1234" =~ "23"', false],
    ['$PLAIN =~ $SET', true],
    ['$SET =~ $PLAIN', false],
    ['$SET =~ "here"', false],
    ['$SET =~ "all the content here"', true],
    ['$SET !~ "all the content here"', false],
    ['$SET =~ "^content"', false],
    // Flags GitLab does not know are read and ignored.
    ['$SET =~ /^CONTENT/x', false],
    ['$SET =~ /^CONTENT/ix', true],
    // An unset left side is matched as ""; an unset right side matches nothing.
    ['$UNSET =~ /^$/', true],
    ['$SET =~ $UNSET', false],
    ['$SET !~ $UNSET', true],
    ['$SET =~ /^content.*/ && $OTHER == "something"', true],
    ['$SET =~ /^content.*/ && $OTHER =~ /thing$/ && $UNSET', false],
    ['$SET =~ /^nope/ || $OTHER =~ /thing$/ && $THING', true],
    ['($SET =~ /^nope/ || $OTHER =~ /thing$/) && $UNSET', false],
    ['$CI_COMMIT_BRANCH == "my-branch" || (($THING == "thing" || $OTHER == "thing") && $SET)', true],
    // `&&` and `||` give one of their sides, with Ruby's truth: "" is true inside them.
    ['$EMPTY && $SET', true],
    ['$SET && $EMPTY', false],
    ['$EMPTY || $SET', false],
    ['$UNSET || $SET', true],
    // Comparisons chain left to right: ($SET == $SET) is true, and true is not "true".
    ['$SET == $SET == "true"', false],
    ['$SET == $OTHER == $UNSET == null', false],
    ['$SET == "x" != $SET', true],
    // RE2 syntax, as GitLab's: inline flags and POSIX classes.
    ['$SET =~ /(?i)^CONTENT/', true],
    ['$THING =~ /^[[:alpha:]]+$/', true],
  ])('%s is %s', (expression, expected) => {
    expect(holds(expression, variables)).toBe(expected);
  });

  it('matches a pattern that backtracks for ever elsewhere on a 10,000-character branch name in linear time', () => {
    const started = performance.now();
    expect(holds('$CI_COMMIT_BRANCH =~ /^(a+)+$/', { CI_COMMIT_BRANCH: `${'a'.repeat(10_000)}!` })).toBe(false);
    expect(holds('$CI_COMMIT_BRANCH =~ /^(a+)+$/', { CI_COMMIT_BRANCH: 'a'.repeat(10_000) })).toBe(true);
    expect(holds('$CI_COMMIT_BRANCH =~ /^(a|aa)+$/', { CI_COMMIT_BRANCH: `${'a'.repeat(10_000)}!` })).toBe(false);
    // Generous: a backtracking engine takes longer than the age of the universe here.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
