import { readFileSync } from 'node:fs';
import path from 'node:path';
import { matchesRef } from '../../src/model/ref-patterns.js';
import { isProtectedRef } from '../../src/variables/choose-variables.js';
import { describe, expect, it } from 'vitest';
import { parseGithubEvent } from '../../src/forges/github/parse-github-event.js';
import { parseGitlabEvent } from '../../src/forges/gitlab/parse-gitlab-event.js';
import { githubComment, githubPullRequest, githubPush, githubRerequest, gitlabMergeRequest, gitlabNote, gitlabPush } from '../helpers/forge-payloads.js';

const SHA = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';
const corpus = (name: string) => JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../shared/corpus/gitlab', name), 'utf8')) as unknown;

describe('GitLab hooks as forge-neutral events', () => {
  it('turns a push into a run of the branch head', () => {
    expect(parseGitlabEvent('Push Hook', 'd1', gitlabPush({ project: 'team/app', sha: SHA, ref: 'feature/x' }))).toMatchObject({
      kind: 'event',
      event: { target: { forge: 'gitlab', project: 'team/app' }, deliveryId: 'd1', event: 'push', action: 'run', sha: SHA, ref: 'feature/x', fromFork: false },
    });
  });

  it('turns a merge request from a fork into a run marked as a fork, and a merge into a cancel', () => {
    const opened = parseGitlabEvent('Merge Request Hook', 'd2', gitlabMergeRequest({ project: 'team/app', sha: SHA, iid: 9, action: 'open', fromFork: true }));
    const merged = parseGitlabEvent('Merge Request Hook', 'd3', gitlabMergeRequest({ project: 'team/app', sha: SHA, iid: 9, action: 'merge' }));

    expect(opened).toMatchObject({ kind: 'event', event: { action: 'run', changeRequest: 9, fromFork: true } });
    expect(merged).toMatchObject({ kind: 'event', event: { action: 'cancel', changeRequest: 9 } });
  });

  it.each([
    ['a tag push from the corpus', 'Tag Push Hook', corpus('go-gitlab-tag_push.json'), 'event "Tag Push Hook" is not one Slipway handles'],
    ['an update that brings no commits', 'Merge Request Hook', gitlabMergeRequest({ project: 'team/app', sha: SHA, action: 'update' }), 'merge request action "update" brings no new commits'],
    ['a deletion of a branch that had no commit', 'Push Hook', { ...gitlabPush({ project: 'team/app', sha: SHA }), before: '0'.repeat(40), after: '0'.repeat(40), checkout_sha: null }, 'the push deleted a branch that had no commit'],
  ])('ignores %s, saying why', (_name, event, payload, reason) => {
    expect(parseGitlabEvent(event, 'd', payload)).toEqual({ kind: 'ignored', reason });
  });

  it('reads a branch deletion as the end of what the branch left running, naming its last commit', () => {
    const deleted = parseGitlabEvent('Push Hook', 'd', { ...gitlabPush({ project: 'team/app', sha: SHA, ref: 'feature/x' }), before: SHA, after: '0'.repeat(40), checkout_sha: null });

    expect(deleted).toMatchObject({ kind: 'event', event: { event: 'push.deleted', action: 'cancel', sha: SHA, ref: 'feature/x', changeRequest: null } });
  });

  it('reads the corpus push as GitLab sent it', () => {
    expect(parseGitlabEvent('Push Hook', 'd', corpus('go-gitlab-push.json'))).toMatchObject({ kind: 'event', event: { sha: SHA, event: 'push' } });
  });

  it('keeps what rules:changes compares with: the commit before a push (none for a new branch), a merge request’s target branch', () => {
    const pushed = { ...gitlabPush({ project: 'team/app', sha: SHA }), before: 'b'.repeat(40) };
    const parsed = (payload: unknown, event = 'Push Hook') => {
      const result = parseGitlabEvent(event, 'd', payload);
      return result.kind === 'event' ? { diffBase: result.event.diffBase, apiContext: result.event.target.apiContext } : undefined;
    };
    // A fact of the pipeline, beside its ref: not a key of the forge's API context.
    expect(parsed(pushed)).toEqual({ diffBase: 'b'.repeat(40), apiContext: { projectId: expect.any(Number) } });
    expect(parsed({ ...pushed, before: '0'.repeat(40) })).toEqual({ diffBase: null, apiContext: { projectId: expect.any(Number) } });
    const request = gitlabMergeRequest({ project: 'team/app', sha: SHA, action: 'open' });
    expect(parsed(request, 'Merge Request Hook')).toEqual({ diffBase: request.object_attributes.target_branch, apiContext: { projectId: expect.any(Number) } });
  });

  it('turns `/slipway cancel` in a merge request comment into a command, an unknown word into help, and other comments into nothing', () => {
    const note = (text: string) => gitlabNote({ project: 'team/app', projectId: 14, iid: 6, note: text, user: { id: 3, username: 'dora' } });
    const onCommit = { ...note('/slipway retry'), object_attributes: { ...note('/slipway retry').object_attributes, noteable_type: 'Commit' }, merge_request: undefined };

    const cancel = note('  /slipway cancel');
    expect(parseGitlabEvent('Note Hook', 'n1', cancel)).toEqual({
      kind: 'command',
      command: { target: { forge: 'gitlab', project: 'team/app', apiContext: { projectId: 14 } }, deliveryId: 'n1', action: 'cancel', by: { id: '3', login: 'dora' }, changeRequest: 6, sha: null, via: 'comment', commentId: cancel.object_attributes.id },
    });
    expect(parseGitlabEvent('Note Hook', 'n2', note('/slipway'))).toMatchObject({ kind: 'command', command: { action: 'help' } });
    // A job's name runs to the end of the line: GitLab's may hold spaces.
    expect(parseGitlabEvent('Note Hook', 'n6', note('/slipway play deploy review 1/2\nthanks!'))).toMatchObject({ kind: 'command', command: { action: 'play', job: 'deploy review 1/2' } });
    expect(parseGitlabEvent('Note Hook', 'n7', note('/slipway play'))).toMatchObject({ kind: 'command', command: { action: 'help' } });
    expect((parseGitlabEvent('Note Hook', 'n8', note('/slipway retry')) as { command: object }).command).not.toHaveProperty('job');
    expect(parseGitlabEvent('Note Hook', 'n3', note('please /slipway retry'))).toEqual({ kind: 'ignored', reason: 'the comment is not a /slipway command' });
    expect(parseGitlabEvent('Note Hook', 'n4', onCommit)).toEqual({ kind: 'ignored', reason: 'the comment is not on a merge request' });
    expect(parseGitlabEvent('Note Hook', 'n5', { ...note('/slipway retry'), user: { id: 3, username: 'bad\u0000name' } })).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/^Note Hook body: user\.username must not contain control characters/) });
  });

  it('names the fields of a trimmed corpus body it cannot use', () => {
    const parsed = parseGitlabEvent('Merge Request Hook', 'd', corpus('go-gitlab-group_merge_request.json'));

    expect(parsed.kind).toBe('invalid');
    expect(parsed.kind === 'invalid' && parsed.reason).toMatch(/^Merge Request Hook body: project\.id .*object_attributes\.iid/);
  });
});

describe('GitHub deliveries as forge-neutral events', () => {
  it('turns a pull request from a fork into a run marked as a fork, on the fork’s branch even when it is named main', () => {
    const fromFork = githubPullRequest({ repo: 'octo/app', sha: SHA, number: 4, fork: 'someone/app' });
    fromFork.pull_request.head.ref = 'main';

    expect(parseGithubEvent('pull_request', 'g1', fromFork)).toMatchObject({
      kind: 'event',
      event: { target: { forge: 'github', project: 'octo/app', apiContext: { installationId: 1 } }, action: 'run', changeRequest: 4, fromFork: true, ref: 'someone:main' },
    });
  });

  it('never lets a fork’s branch match a protected ref, an environment’s branches or the default branch', () => {
    expect(matchesRef('someone:main', ['main', '*', 'someone:main'])).toBe(false);
    expect(isProtectedRef('someone:main', 'someone:main', ['*'])).toBe(false);
    expect(matchesRef('main', ['main'])).toBe(true);
  });

  it('keeps what rules:changes compares with: the commit before a push, a pull request’s base branch', () => {
    const push = parseGithubEvent('push', 'g4', { ...githubPush({ repo: 'octo/app', sha: SHA, ref: 'main' }), before: 'b'.repeat(40) });
    const pull = parseGithubEvent('pull_request', 'g5', githubPullRequest({ repo: 'octo/app', sha: SHA }));
    expect(push).toMatchObject({ kind: 'event', event: { diffBase: 'b'.repeat(40), target: { apiContext: { installationId: 1 } } } });
    expect(pull).toMatchObject({ kind: 'event', event: { diffBase: expect.stringMatching(/^\S+$/) } });
    expect(push.kind === 'event' && 'diffBase' in push.event.target.apiContext).toBe(false);
    const fresh = parseGithubEvent('push', 'g6', { ...githubPush({ repo: 'octo/app', sha: SHA, ref: 'main' }), before: '0'.repeat(40) });
    expect(fresh).toMatchObject({ kind: 'event', event: { diffBase: null } });
  });

  it('turns a closed pull request into a cancel and a push into a run', () => {
    expect(parseGithubEvent('pull_request', 'g2', githubPullRequest({ repo: 'octo/app', sha: SHA, action: 'closed' }))).toMatchObject({ kind: 'event', event: { action: 'cancel' } });
    expect(parseGithubEvent('push', 'g3', githubPush({ repo: 'octo/app', sha: SHA, ref: 'main' }))).toMatchObject({ kind: 'event', event: { action: 'run', ref: 'main', sha: SHA } });
  });

  it.each([
    ['a labelled pull request', 'pull_request', githubPullRequest({ repo: 'octo/app', sha: SHA, action: 'labeled' }), { kind: 'ignored', reason: 'pull_request action "labeled" needs no pipeline' }],
    ['a tag push', 'push', { ...githubPush({ repo: 'octo/app', sha: SHA }), ref: 'refs/tags/v1' }, { kind: 'ignored', reason: 'push to refs/tags/v1 is not a branch' }],
    ['a star', 'star', {}, { kind: 'ignored', reason: 'event "star" is not one Slipway handles' }],
    ['an ordinary comment', 'issue_comment', githubComment({ repo: 'octo/app', number: 3, body: 'Looks good', user: { id: 1, login: 'a' } }), { kind: 'ignored', reason: 'the comment is not a /slipway command' }],
    [
      'an edited comment',
      'issue_comment',
      { ...githubComment({ repo: 'octo/app', number: 3, body: '/slipway retry', user: { id: 1, login: 'a' } }), action: 'edited' },
      { kind: 'ignored', reason: 'issue_comment action "edited" is not a new comment' },
    ],
    ['a check run created', 'check_run', { ...githubRerequest('check_run', { repo: 'octo/app', sha: SHA, user: { id: 1, login: 'a' } }), action: 'created' }, { kind: 'ignored', reason: 'check_run action "created" asks for nothing' }],
  ])('ignores %s, saying why', (_name, event, payload, expected) => {
    expect(parseGithubEvent(event, 'g', payload)).toEqual(expected);
  });

  it('turns `/slipway retry` on a pull request and a Re-run of the checks into commands, and a comment on an issue into nothing', () => {
    const comment = githubComment({ repo: 'octo/app', number: 3, body: '/slipway retry\nthe runner hiccuped', user: { id: 9, login: 'dora' } });
    const onIssue = { ...comment, issue: { ...comment.issue, pull_request: undefined } };
    const byBot = { ...comment, comment: { ...comment.comment, user: { ...comment.comment.user, type: 'Bot' } } };

    expect(parseGithubEvent('issue_comment', 'c1', comment)).toEqual({
      kind: 'command',
      command: { target: { forge: 'github', project: 'octo/app', apiContext: { installationId: 1 } }, deliveryId: 'c1', action: 'retry', by: { id: '9', login: 'dora' }, changeRequest: 3, sha: null, via: 'comment' },
    });
    expect(parseGithubEvent('issue_comment', 'c2', onIssue)).toEqual({ kind: 'ignored', reason: 'the comment is on an issue, not a pull request' });
    expect(parseGithubEvent('issue_comment', 'c3', byBot)).toEqual({ kind: 'ignored', reason: 'comments by bots are not commands' });
    expect(parseGithubEvent('check_suite', 'c4', githubRerequest('check_suite', { repo: 'octo/app', sha: SHA, user: { id: 9, login: 'dora' } }))).toMatchObject({
      kind: 'command',
      command: { action: 'retry', sha: SHA, changeRequest: null, via: 'checks', by: { login: 'dora' } },
    });
    expect(parseGithubEvent('check_run', 'c5', { ...githubRerequest('check_run', { repo: 'octo/app', sha: SHA, user: { id: 9, login: 'dora' } }), check_run: { head_sha: 'nope' } })).toMatchObject({
      kind: 'invalid',
      reason: expect.stringMatching(/^check_run payload: check_run\.head_sha must be a 40-character commit SHA/),
    });
  });

  it('refuses a push that is not an App delivery, and one whose SHA is not a SHA, naming the field', () => {
    const { installation: _installation, ...withoutInstallation } = githubPush({ repo: 'octo/app', sha: SHA });

    expect(parseGithubEvent('push', 'g', withoutInstallation)).toEqual({ kind: 'invalid', reason: 'push payload has no installation: is this a GitHub App webhook?' });
    expect(parseGithubEvent('push', 'g', githubPush({ repo: 'octo/app', sha: 'HEAD' }))).toEqual({ kind: 'invalid', reason: 'push payload: after must be a 40-character commit SHA' });
  });
});
