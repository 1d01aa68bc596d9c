import { describe, expect, it } from 'vitest';
import { evaluate, ExpressionError, parseExpression } from '../../../src/pipeline/gitlab-ci/rule-expression.js';

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
    expect(holds('${CI_COMMIT_BRANCH}', branch)).toBe(true);
  });

  it('matches regular expressions, written inline or held in a variable', () => {
    expect(holds('$CI_COMMIT_REF_NAME =~ /^feature\\//', mergeRequest)).toBe(true);
    expect(holds('$CI_COMMIT_REF_NAME !~ /^feature\\//', mergeRequest)).toBe(false);
    expect(holds('$CI_COMMIT_REF_NAME =~ /^MAIN$/i', branch)).toBe(true);
    expect(holds('$CI_COMMIT_REF_NAME =~ $PATTERN', { ...branch, PATTERN: '/^ma/' })).toBe(true);
    expect(holds('$UNSET =~ /x/', branch)).toBe(false);
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
    expect(() => parseExpression('$A =~ /(/')).toThrow('is not a valid regular expression');
    expect(() => holds('$A =~ "plain"', { A: 'x' })).toThrow('must be a /regular expression/');
  });
});
