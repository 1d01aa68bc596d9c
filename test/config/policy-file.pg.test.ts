import { describe, expect, it } from 'vitest';
import { deployRulesOf, parsePolicy } from '../../src/config/policy-file.js';
import { runCli } from '../helpers/cli.js';

describe('the server-side policy file', () => {
  it('reads environments with their defaults', () => {
    const policy = parsePolicy('projects:\n  group/app:\n    environments:\n      prod:\n        approvers: [U123, S456]\n        approvalTimeout: 15m\n');

    expect(policy.projects['group/app']).toEqual({
      allowForkPush: false,
      protectedRefs: [],
      includeProjects: [],
      deployStage: 'deploy',
      environments: { prod: { approval: 'required', approvers: ['U123', 'S456'], allowSelfApproval: false, approvalTimeout: 900, lockAfterRollback: false, confirm: false } },
    });
  });

  it.each([
    ['projects:\n  a/b:\n    environments:\n      prod: {}\n', 'SLIPWAY_CONFIG: projects.a/b.environments.prod.approvers must name at least one approver (or say approval: none, for an environment deployed in the pipeline)'],
    ['projects:\n  a/b:\n    environments:\n      prod:\n        approvers: [bob]\n', 'SLIPWAY_CONFIG: projects.a/b.environments.prod.approvers.0 must be Slack user ids (U…) or user group ids (S…)'],
    ['projects:\n  a/b:\n    environments:\n      Prod:\n        approvers: [U1A]\n', 'SLIPWAY_CONFIG: projects.a/b.environments.Prod must be a lower-case name usable as an image tag, or have approval: none (a review app such as review/*, deployed in the pipeline)'],
    ['projects:\n  a/b:\n    environments:\n      "review/*":\n        approvers: [U1A]\n', 'SLIPWAY_CONFIG: projects.a/b.environments.review/* must be a lower-case name usable as an image tag, or have approval: none'],
    ['projects:\n  a/b:\n    environments:\n      "review/*":\n        approval: none\n        approvers: [U1A]\n', 'SLIPWAY_CONFIG: projects.a/b.environments.review/*.approvers is not used with approval: none: its deploy jobs run in the pipeline, without /deploy'],
    ['projects:\n  a/b:\n    environments:\n      "review/*":\n        approval: later\n', 'SLIPWAY_CONFIG: projects.a/b.environments.review/*.approval must be required or none'],
    ['projects:\n  a/b:\n    environments:\n      "review app":\n        approval: none\n', 'SLIPWAY_CONFIG: projects.a/b.environments.review app must be an environment name such as prod, or a pattern such as review/*'],
    ['projects:\n  a/b:\n    environments:\n      prod:\n        approvers: [U1A]\n        action: { type: ftp }\n', 'SLIPWAY_CONFIG: projects.a/b.environments.prod.action.type must be none, job, webhook or docker'],
    ['projects:\n  a/b:\n    environments:\n      prod:\n        approvers: [U1A]\n        approvalTimeout: soon\n', 'SLIPWAY_CONFIG: projects.a/b.environments.prod.approvalTimeout must be seconds or a duration such as 15m, 2h, 1d'],
    ['projects:\n  a/b:\n    environments:\n      prod:\n        approvers: [U1A]\n        lockAfterRollback: sometimes\n', 'SLIPWAY_CONFIG: projects.a/b.environments.prod.lockAfterRollback must be true or false'],
    ['projects:\n  a/b:\n    environments:\n      prod:\n        approvers: [U1A]\n        after: [staging]\n', 'SLIPWAY_CONFIG: projects.a/b.environments.prod.after names staging, which is not another environment of this project'],
    [
      'projects:\n  a/b:\n    environments:\n      prod:\n        approvers: [U1A]\n        after: [staging]\n      staging:\n        approvers: [U1A]\n        after: [prod]\n',
      'SLIPWAY_CONFIG: projects.a/b.environments.prod.after makes a loop (prod → staging → prod): nothing could ever be deployed there',
    ],
    ['projects:\n  a/b:\n    environments:\n      prod:\n        approvers: [U1A]\n        channel: "#deploys"\n', 'SLIPWAY_CONFIG: projects.a/b.environments.prod.channel must be a Slack channel id such as C0123ABCD (not a #name: ids survive renames)'],
    ['projects:\n  a/b:\n    environments:\n      prod:\n        approvers: [U1A]\n        url: shop.example.com\n', 'SLIPWAY_CONFIG: projects.a/b.environments.prod.url must be an http(s) URL'],
    ['projects:\n  a/b:\n    environments:\n      prod:\n        approvers: [U1A]\n        confirm: yes please\n', 'SLIPWAY_CONFIG: projects.a/b.environments.prod.confirm must be true or false'],
    ['projects:\n  a/b:\n    environments:\n      prod:\n        approvers: [U1A]\n        branches: main\n', 'SLIPWAY_CONFIG: projects.a/b.environments.prod.branches must be a list of branch or tag names or patterns such as release/*'],
    ['projects:\n  a/b:\n    includeProjects: group/ci\n', 'SLIPWAY_CONFIG: projects.a/b.includeProjects must be a list of project paths such as group/ci-templates'],
    ['projects:\n  a/b:\n    alowForkPush: true\n', 'SLIPWAY_CONFIG: projects.a/b has no setting alowForkPush: check the spelling against the configuration reference (line 3)'],
  ])('names the field of a mistake: %j', (text, message) => {
    expect(() => parsePolicy(text)).toThrow(message);
  });

  it('names the file, the line and the key path of a mistake, and YAML mistakes in plain words', () => {
    const text = 'projects:\n  group/app:\n    environments:\n      prod:\n        approvers: U123\n';
    expect(() => parsePolicy(text, '/etc/slipway/policy.yml')).toThrow(/^\/etc\/slipway\/policy\.yml: projects\.group\/app\.environments\.prod\.approvers .+ \(line 5\)$/);
    expect(() => parsePolicy('projects:\n\tgroup/app: {}\n', '/etc/slipway/policy.yml')).toThrow(
      '/etc/slipway/policy.yml: is not valid YAML: this line is indented with a tab: YAML indents with spaces only (line 2, column 1)',
    );
  });

  it('reads review apps’ environments, which ask for no approval, apart from those /deploy deploys to', () => {
    const policy = parsePolicy('projects:\n  group/app:\n    environments:\n      "review/*": { approval: none, url: https://review.example.test }\n      prod: { approvers: [U123] }\n');
    const onlyReview = parsePolicy('projects:\n  group/app:\n    environments:\n      "review/*": { approval: none }\n');

    expect(deployRulesOf(policy, 'group/app')).toEqual({ deployStage: 'deploy', reviewEnvironments: ['review/*'] });
    // Only environments behind /deploy make the deploy stage wait.
    expect(deployRulesOf(onlyReview, 'group/app')).toEqual({ reviewEnvironments: ['review/*'] });
    expect(deployRulesOf(policy, 'other/app')).toEqual({});
  });

  it('stops the service at start-up with the file and field', async () => {
    const result = await runCli(['serve'], { SLIPWAY_CONFIG: '/no/such/slipway.yml', DATABASE_URL: 'postgres://x:y@127.0.0.1:9/none' });

    expect(result.code).toBe(78);
    expect(result.stderr).toBe('slipway: configuration error: /no/such/slipway.yml: cannot be read (ENOENT)\n');
  });
});
