import { createHmac } from 'node:crypto';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerFile, fakeSha, host, registry, uniqueName } from '../helpers/docker-lab.js';
import { fakeSlack, NOT_IN_CHANNEL, SLACK_API_URL } from '../helpers/fake-slack.js';
import { lab as labSettings } from '../helpers/lab.js';
import { signAsBuilt, tamperedStatement } from '../helpers/provenance.js';
import { buttonClick, SLACK_SIGNING_SECRET, SLACK_TEAM_ID, slashCommand } from '../helpers/slack-requests.js';
import { pushTestImage } from '../helpers/test-images.js';
import { fakeGitlab } from '../helpers/fake-forges.js';
import { GITLAB_URL, PUBLIC_URL, startTestService, type TestService } from '../helpers/test-service.js';
import { waitFor } from '../helpers/wait-for.js';
import { environmentRepository } from '../../src/registry/project-repositories.js';
import { createProjectVariableStore } from '../../src/store/project-variable-store.js';
import { createVariableCipher } from '../../src/variables/variable-cipher.js';
import { randomBytes } from 'node:crypto';

const HEALTHY = 'HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD test -f /tmp/ready\nCMD ["sh", "-c", "touch /tmp/ready; exec sleep 3600"]';
const ANNOUNCE = 'CANNOUNCE';
const UNHEALTHY = 'HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD false\nCMD ["sleep", "3600"]';

describe('/deploy in Slack', () => {
  const project = uniqueName('slipway-test/deploy');
  const container = uniqueName('slipway-test-web');
  let insertOn: (sha: string, digest: string, ref: string) => Promise<unknown>;
  let insertUnsigned: (sha: string, digest: string) => Promise<{ rows: Array<{ id: string }> }>;
  const shas = { a: fakeSha(), b: fakeSha(), feature: fakeSha(), bad: fakeSha(), failed: fakeSha(), unsigned: fakeSha(), unprotected: fakeSha(), fork: fakeSha(), tampered: fakeSha(), ambiguous1: `abcdef1${fakeSha().slice(7)}`, ambiguous2: `abcdef1${fakeSha().slice(7)}` };
  const digests: Record<string, string> = {};
  let service: TestService;
  let slack: ReturnType<typeof fakeSlack>;
  let gitlab: ReturnType<typeof fakeGitlab>;
  let policyDir: string;
  let webhook: http.Server;
  const hookDeliveries: Array<{ signature: string; body: string }> = [];
  const secretKey = randomBytes(32);
  const variable = (name: string, value: string, environment: string, flags: { protected?: boolean; file?: boolean } = {}) => ({
    name,
    value,
    environment,
    masked: false,
    protected: flags.protected ?? false,
    file: flags.file ?? false,
  });

  beforeAll(async () => {
    digests.a = await pushTestImage(project, shas.a, `LABEL version=a\n${HEALTHY}`);
    digests.b = await pushTestImage(project, shas.b, `LABEL version=b\n${HEALTHY}`);
    digests.bad = await pushTestImage(project, shas.bad, `LABEL version=bad\n${UNHEALTHY}`);
    digests.unsigned = await pushTestImage(project, shas.unsigned, `LABEL version=unsigned\n${HEALTHY}`);
    webhook = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        hookDeliveries.push({ signature: String(request.headers['x-slipway-signature']), body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    policyDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-policy-'));
    const policyFile = path.join(policyDir, 'slipway.yml');
    const environment = (extra = '') => `        approvers: [UAPPROVER, SOPS]\n${extra}`;
    await writeFile(
      policyFile,
      [
        'projects:',
        `  ${project}:`,
        '    environments:',
        '      prod:',
        environment(),
        '      qa:',
        environment('        approvalTimeout: 1\n'),
        '      frozen:',
        environment(),
        '      rollback:',
        environment('        lockAfterRollback: true\n'),
        '      web:',
        environment(`        action: { type: docker, container: ${container}, network: none, healthTimeout: 20 }\n`),
        '      hook:',
        environment(`        action: { type: webhook, url: "http://127.0.0.1:${(webhook.address() as AddressInfo).port}/deploy", secret: a-webhook-secret-for-tests }\n`),
        '      shown:',
        environment(),
        '      jobless:',
        environment('        action: { type: job }\n'),
        '      stage1:',
        environment(),
        '      ordered:',
        environment('        after: [stage1]\n'),
        '      briefed:',
        environment(`        confirm: true\n        channel: ${ANNOUNCE}\n        url: https://briefed.example.test\n`),
        '      mainonly:',
        environment('        branches: [main, release/*]\n'),
        '      team:',
        '        approvers: [UALICE]',
        '        requesters: [UALICE, UBOB]',
        '        allowSelfApproval: true',
      ].join('\n'),
    );
    slack = fakeSlack({ SOPS: ['UCAROL'] });
    // A commit title is the branch's text: it must reach Slack as text, pinging nobody.
    const commits = new Map([
      [shas.a, { title: 'Fix totals <!channel> & rounding', author_name: 'Ada Lovelace' }],
      [shas.b, { title: 'Speed up checkout', author_name: 'Grace Hopper' }],
      // A forge slower than Slack's patience: the request goes on without the title.
      [shas.bad, { title: 'Too late to be shown', author_name: 'Slow Forge', delayMs: 4000 }],
    ]);
    gitlab = fakeGitlab(GITLAB_URL, new Map(), { commits });
    service = await startTestService(
      { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET, SLACK_TEAM_ID, SLACK_API_URL, SLIPWAY_CONFIG: policyFile, SLIPWAY_SECRET_KEY: secretKey.toString('base64') },
      { workers: false },
    );
    // Environment-scoped CI/CD variables: they go to that environment's deploy action only.
    const variables = createProjectVariableStore(service.db, createVariableCipher(secretKey));
    await variables.set(project, variable('WEB_SECRET', 'web-secret-value', 'web'));
    await variables.set(project, variable('WEB_CONFIG', '[web]\nport = 8080\n', 'web', { file: true }));
    // The commits were tested on `main`, which is not this project's default branch: not protected.
    await variables.set(project, variable('WEB_PROTECTED', 'web-protected-value', 'web', { protected: true }));
    await variables.set(project, variable('HOOK_TOKEN', 'hook-token-value', 'hook'));
    await variables.set(project, variable('EVERYWHERE', 'for-pipelines-only', ''));
    // Tested on GitLab project 9, merge request !5: that is where deploys are reported.
    // Each passed pipeline's image is signed as its run would have signed it (feature branches are not protected).
    const insert = async (sha: string, status: string, digest: string | null, ref = 'main', sign = true) => {
      const imageRef = digest ? `${labSettings.registry}/${project}:${sha}` : null;
      const inserted = await service.db.query<{ id: string }>(
        `INSERT INTO pipelines (forge, project, sha, ref, status, image_ref, image_digest, finished_at, forge_context, change_request)
         VALUES ('gitlab', $1, $2, $6, $3, $4, $5, now(), '{"projectId": 9}', 5) RETURNING id`,
        [project, sha, status, imageRef, digest, ref],
      );
      if (sign && status === 'passed' && imageRef && digest) await signAsBuilt({ ref: imageRef, digest }, { project, pipelineId: Number(inserted.rows[0]!.id), ref, protectedRef: !ref.startsWith('feature/') });
      return inserted;
    };
    insertOn = (sha, digest, ref) => insert(sha, 'passed', digest, ref);
    insertUnsigned = (sha, digest) => insert(sha, 'passed', digest, 'main', false);
    await insert(shas.feature, 'passed', digests.a!, 'feature/x');
    await insert(shas.a, 'passed', digests.a);
    await insert(shas.b, 'passed', digests.b);
    await insert(shas.bad, 'passed', digests.bad);
    await insert(shas.failed, 'failed', null);
    await insert(shas.ambiguous1, 'passed', `sha256:${'1'.repeat(64)}`);
    await insert(shas.ambiguous2, 'passed', `sha256:${'2'.repeat(64)}`);
  });

  afterAll(async () => {
    await service?.stop();
    webhook?.close();
    await host.getContainer(container).remove({ force: true }).catch(() => undefined);
    if (policyDir) await rm(policyDir, { recursive: true, force: true });
  });

  const say = async (user: string, text: string) => {
    const response = await slashCommand(service.base, user, text);
    return { status: response.status, body: (await response.json()) as { response_type: string; text: string } };
  };
  const deployments = async (environment: string) =>
    (await service.db.query(`SELECT id, status, decided_by, previous_digest, digest, error FROM deployments WHERE project = $1 AND environment = $2 ORDER BY id`, [project, environment])).rows;
  const requestOf = async (user: string, sha: string, environment: string) => {
    const answer = await say(user, `${sha.slice(0, 10)} ${environment}`);
    expect(answer.body.text).toMatch(/^Asked for approval of deploy request #\d+\.$/);
    return Number(/#(\d+)/.exec(answer.body.text)![1]);
  };
  const finalState = (id: number) =>
    waitFor(`deployment #${id} to finish`, async () => {
      const { rows } = await service.db.query('SELECT status, error, previous_digest FROM deployments WHERE id = $1', [id]);
      return ['succeeded', 'failed'].includes(rows[0]?.status) && rows[0];
    });
  const environmentDigest = async (environment: string) => (await registry.getManifest(environmentRepository(project), environment))?.digest ?? null;

  it('asks the approvers in the channel for a passed commit', async () => {
    const before = slack.of('chat.postMessage').length;

    const answer = await say('UREQUESTER', `${shas.a.slice(0, 8)} prod`);
    // The message is posted after the command is acknowledged.
    const posted = await waitFor('the approval message', () => slack.of('chat.postMessage').length > before && slack.of('chat.postMessage').slice(before));
    const blocks = JSON.stringify(JSON.parse(posted[0]!.args.blocks!));

    expect(answer.status).toBe(200);
    expect(answer.body.response_type).toBe('ephemeral');
    expect(posted).toHaveLength(1);
    expect(posted[0]!.args.channel).toBe('CDEPLOYS');
    expect(posted[0]!.args.text).toBe(`:rocket: <@UREQUESTER> asks to deploy \`${shas.a.slice(0, 12)}\` of *${project}* to *prod*.`);
    expect(blocks).toContain('Waiting for <@UAPPROVER>, <!subteam^SOPS> until');
    expect(blocks).toContain('"action_id":"deploy_approve"');
    expect(blocks).toContain('"action_id":"deploy_reject"');
    const id = Number(/#(\d+)/.exec(answer.body.text)![1]);
    expect((await service.db.query('SELECT status FROM deployments WHERE id = $1', [id])).rows[0].status).toBe('requested');
  });

  it('refuses an image with no signed provenance, and one signed as built on an unprotected ref, naming the check', async () => {
    const before = (await deployments('prod')).length;
    await insertUnsigned(shas.unsigned, digests.unsigned!);
    const unsigned = await say('UREQUESTER', `${shas.unsigned.slice(0, 10)} prod`);
    // The same image, signed by a pipeline of an unprotected ref.
    const unprotected = await insertUnsigned(shas.unprotected, digests.unsigned!);
    await signAsBuilt({ ref: `${labSettings.registry}/${project}:${shas.unprotected}`, digest: digests.unsigned! }, { project, pipelineId: Number(unprotected.rows[0]!.id), ref: 'main', protectedRef: false });
    const fromUnprotected = await say('UREQUESTER', `${shas.unprotected.slice(0, 10)} prod`);
    const otherPipeline = await say('UREQUESTER', `${shas.unsigned.slice(0, 10)} prod`);

    expect(unsigned.body.text).toBe(`Not deploying: ${digests.unsigned!.slice(0, 19)} has no signed provenance in ${project}: only images a Slipway pipeline built and signed can be deployed`);
    expect(fromUnprotected.body.text).toBe(`Not deploying: the image was built on main, which is not a protected ref: only images built on protected refs are deployed`);
    expect(otherPipeline.body.text).toBe(`Not deploying: the image was built by pipeline #${unprotected.rows[0]!.id}, not #${Number(unprotected.rows[0]!.id) - 1} which tested the commit`);
    expect((await deployments('prod')).length).toBe(before);
  });

  it('promotes the tested image when an approver clicks Approve, and tells the merge request and the commit on GitLab', async () => {
    const id = await requestOf('UREQUESTER', shas.a, 'prod');

    const click = await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(id));
    const finished = await finalState(id);
    const done = `:white_check_mark: Done: deploy \`${shas.a.slice(0, 12)}\` of *${project}* to *prod*, asked by <@UREQUESTER>, approved by <@UAPPROVER>.`;
    // The row is finished before its audit row and the Slack update are written: wait for those, not for time.
    await waitFor('the Slack update', () => slack.of('chat.update').some((call) => call.args.text === done));
    const audit = await waitFor('the deployed audit row', async () => {
      const rows = await service.db.query(`SELECT actor, action FROM audit_events WHERE deployment_id = $1 ORDER BY id`, [id]);
      return rows.rows.some((row) => row.action === 'deployed') && rows;
    });

    expect(click.status).toBe(200);
    expect(finished.status).toBe('succeeded');
    expect(await environmentDigest('prod')).toBe(digests.a);
    expect(audit.rows).toEqual([
      { actor: 'UREQUESTER', action: 'requested' },
      { actor: 'UAPPROVER', action: 'approved' },
      { actor: 'slipway', action: 'deployed' },
    ]);
    const note = `🚀 Deploy of \`${shas.a.slice(0, 12)}\` to **prod** succeeded: the \`prod\` tag is now \`${digests.a}\`.`;
    await waitFor('the MR note', () => gitlab.record.comments.get(5)?.some((comment) => comment.body === note));
    const deployStatuses = gitlab.record.statuses.filter((status) => status.sha === shas.a && status.name === 'slipway/deploy/prod');
    expect(deployStatuses.map((status) => status.state).slice(-2)).toEqual(['running', 'success']);
  });


  it('lets a member of an approving user group approve, and never promotes twice on a second click', async () => {
    const id = await requestOf('UREQUESTER', shas.b, 'prod');

    await buttonClick(service.base, 'UCAROL', 'deploy_approve', String(id));
    await finalState(id);
    await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(id));
    await waitFor('the refusal', () => slack.ephemeralTo('UAPPROVER').some((text) => text.includes('already')));

    expect(await environmentDigest('prod')).toBe(digests.b);
    expect(slack.ephemeralTo('UAPPROVER').at(-1)).toBe('Not approved: this request was already succeeded by <@UCAROL>');
    expect((await service.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE deployment_id = $1 AND action = 'deployed'`, [id])).rows[0].n).toBe(1);
  });

  it.each([
    ['an approver approving their own request', 'UAPPROVER', 'UAPPROVER', 'Not approved: you asked for this deploy, so someone else must approve it (prod does not allow self-approval)'],
    ['someone who is not an approver', 'UREQUESTER', 'UINTERN', 'Not approved: only <@UAPPROVER>, <!subteam^SOPS> may approve deploys to prod'],
  ])('refuses %s, and changes nothing', async (_name, requester, user, message) => {
    const before = await environmentDigest('prod');
    const id = await requestOf(requester, shas.a, 'prod');

    await buttonClick(service.base, user, 'deploy_approve', String(id));
    await waitFor('the refusal', () => slack.ephemeralTo(user).includes(message));

    expect((await service.db.query('SELECT status FROM deployments WHERE id = $1', [id])).rows[0].status).toBe('requested');
    expect(await environmentDigest('prod')).toBe(before);
  });

  it('refuses to approve an expired request and marks it expired', async () => {
    const id = await requestOf('UREQUESTER', shas.a, 'qa');
    await waitFor('the request to expire', async () => (await service.db.query('SELECT expires_at <= now() AS due FROM deployments WHERE id = $1', [id])).rows[0].due);

    await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(id));
    await waitFor('the refusal', () => slack.ephemeralTo('UAPPROVER').some((text) => text.startsWith('Not approved: this request expired at')));

    expect((await service.db.query('SELECT status FROM deployments WHERE id = $1', [id])).rows[0].status).toBe('expired');
    expect(await environmentDigest('qa')).toBeNull();
  });

  it('refuses a deploy to a locked environment, naming who locked it and why, until it is unlocked', async () => {
    const notAnApprover = await say('UREQUESTER', 'lock frozen I would rather not');
    const locked = await say('UAPPROVER', 'lock frozen release freeze until Monday');
    const refused = await say('UREQUESTER', `${shas.a.slice(0, 8)} frozen`);
    const unlocked = await say('UAPPROVER', 'unlock frozen');
    const allowed = await say('UREQUESTER', `${shas.a.slice(0, 8)} frozen`);

    expect(notAnApprover.body).toEqual({ response_type: 'ephemeral', text: "Not locked: only frozen's approvers may lock it" });
    expect(locked.body).toEqual({ response_type: 'in_channel', text: '<@UAPPROVER>: frozen is locked: release freeze until Monday. No deploys until /deploy unlock frozen.' });
    expect(refused.body.text).toMatch(/^Not deploying: frozen is locked by <@UAPPROVER> since \d{4}-\d\d-\d\d \d\d:\d\d UTC: release freeze until Monday$/);
    expect(unlocked.body.text).toBe('<@UAPPROVER>: frozen is unlocked.');
    expect(allowed.body.text).toMatch(/^Asked for approval/);
    expect((await deployments('frozen')).at(-1)?.status).toBe('requested');
  });

  it('deploys only commits tested on the environment’s branches, and only after the environments it comes after', async () => {
    const fromFeature = await say('UREQUESTER', `${shas.feature.slice(0, 10)} mainonly`);
    await insertOn(shas.feature, digests.a!, 'main');
    const onceOnMain = await say('UREQUESTER', `${shas.feature.slice(0, 10)} mainonly`);
    const early = await say('UREQUESTER', `${shas.a.slice(0, 10)} ordered`);
    await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(await requestOf('UREQUESTER', shas.a, 'stage1')));
    await waitFor('the deploy to stage1', async () => (await deployments('stage1')).at(-1)?.status === 'succeeded');
    const afterStage = await say('UREQUESTER', `${shas.a.slice(0, 10)} ordered`);

    expect(fromFeature.body.text).toBe(
      `Not deploying: mainonly takes only commits whose pipeline passed on main or release/* (branches in SLIPWAY_CONFIG), and ${shas.feature.slice(0, 12)} passed on feature/x: deploy it once a pipeline for it passes there`,
    );
    expect(onceOnMain.body.text).toMatch(/^Asked for approval/);
    expect(early.body.text).toBe(
      `Not deploying: ordered comes after stage1 (after in SLIPWAY_CONFIG), and ${shas.a.slice(0, 12)} (${digests.a!.slice(0, 19)}…) has not been deployed to stage1: deploy it there first`,
    );
    expect(afterStage.body.text).toMatch(/^Asked for approval/);
  });

  it('never takes a fork’s branch named main as main, and refuses a tampered statement, naming the check', async () => {
    // A fork's pipeline passed on its own `main`, recorded as `eve:main` and signed as such.
    const fork = await insertUnsigned(shas.fork, digests.b!);
    await service.db.query(`UPDATE pipelines SET ref = 'eve:main', from_fork = true WHERE id = $1`, [fork.rows[0]!.id]);
    await signAsBuilt({ ref: `${labSettings.registry}/${project}:${shas.fork}`, digest: digests.b! }, { project, pipelineId: Number(fork.rows[0]!.id), ref: 'eve:main', protectedRef: false });
    // A statement for this pipeline whose payload was edited after signing: the registry holds it, the key does not vouch for it.
    const tampered = await insertUnsigned(shas.tampered, digests.unsigned!);
    await signAsBuilt({ ref: `${labSettings.registry}/${project}:${shas.fork}`, digest: digests.unsigned! }, { project, pipelineId: Number(fork.rows[0]!.id), ref: 'eve:main', protectedRef: false });
    await tamperedStatement({ ref: `${labSettings.registry}/${project}:${shas.tampered}`, digest: digests.unsigned! }, { project, pipelineId: Number(tampered.rows[0]!.id) });

    const fromFork = await say('UREQUESTER', `${shas.fork.slice(0, 10)} mainonly`);
    const edited = await say('UREQUESTER', `${shas.tampered.slice(0, 10)} prod`);

    expect(fromFork.body.text).toBe(
      `Not deploying: mainonly takes only commits whose pipeline passed on main or release/* (branches in SLIPWAY_CONFIG), and ${shas.fork.slice(0, 12)} passed on eve:main: deploy it once a pipeline for it passes there`,
    );
    // Only the genuine statement (the fork pipeline's) verifies; the edited one, naming this pipeline, does not count.
    expect(edited.body.text).toMatch(new RegExp(`^Not deploying: the image was built by pipeline #\\d+, not #${tampered.rows[0]!.id} which tested the commit$`));
  });

  it('answers a dry run with every check and what would change, recording nothing', async () => {
    const before = (await service.db.query('SELECT count(*)::int AS n FROM deployments')).rows[0].n;
    const dry = await say('UREQUESTER', `${shas.b.slice(0, 10)} prod dry-run`);
    const refused = await say('UREQUESTER', `${shas.failed.slice(0, 10)} prod dry-run`);
    const after = (await service.db.query('SELECT count(*)::int AS n FROM deployments')).rows[0].n;

    expect(dry.body.response_type).toBe('ephemeral');
    expect(dry.body.text).toMatch(
      new RegExp(`^Dry run, nothing recorded: <@UAPPROVER>, <!subteam\\^SOPS> would be asked to approve ${shas.b.slice(0, 12)} \\(\`sha256:[0-9a-f]{12}…\`\\) of \\*${project}\\* for \\*prod\\*; (it runs|nothing runs there).*Checks passed: pipeline #\\d+ passed on main; the image was built by pipeline #\\d+ on main, signed; you may ask; prod is not locked\\.$`),
    );
    expect(refused.body.text).toMatch(/^Dry run: would refuse: pipeline #\d+ for [0-9a-f]{12} failed: only a commit whose pipeline passed can be deployed$/);
    expect(after).toBe(before);
  });

  it('shows the approver the commit, its links and what runs there now, keeps them in every update, and announces the outcome', async () => {
    const pipelineOf = async (sha: string) => (await service.db.query(`SELECT id FROM pipelines WHERE sha = $1 AND ref = 'main'`, [sha])).rows[0].id as number;
    const blocksOf = (call: { args: Record<string, string> }) => JSON.parse(call.args.blocks!) as Array<Record<string, any>>;
    const textOf = (call: { args: Record<string, string> }) => JSON.stringify(blocksOf(call));
    const messageOf = (id: number) => waitFor(`the approval message of #${id}`, () => slack.of('chat.postMessage').find((call) => textOf(call).includes(`"value":"${id}"`)));
    const pipelineA = await pipelineOf(shas.a);

    const first = await requestOf('UREQUESTER', shas.a, 'briefed');
    const asked = await messageOf(first);
    const askedText = textOf(asked);
    const approve = blocksOf(asked).find((block) => block.type === 'actions')!.elements[0];
    await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(first));
    await finalState(first);
    const done = await waitFor('the Done update', () => slack.of('chat.update').find((call) => call.args.text?.startsWith(':white_check_mark: Done') && call.args.text.includes('*briefed*')));
    const announced = await waitFor('the announcement', () => slack.of('chat.postMessage').find((call) => call.args.channel === ANNOUNCE));

    const title = `Fix totals &lt;!channel&gt; &amp; rounding`;
    const links = [
      `<${GITLAB_URL}/${project}/-/commit/${shas.a}|${title}> by Ada Lovelace`,
      `<${PUBLIC_URL}/pipelines/${pipelineA}|pipeline #${pipelineA}>`,
      `built by pipeline #${pipelineA} on main, signed`,
      `<${GITLAB_URL}/${project}/-/merge_requests/5|merge request !5>`,
      `<https://briefed.example.test|briefed: https://briefed.example.test>`,
    ];
    for (const part of [...links, 'Nothing had been deployed to *briefed* when this was asked.']) expect(askedText).toContain(JSON.stringify(part).slice(1, -1));
    expect(askedText).not.toContain('<!channel>');
    expect(approve.confirm).toEqual({
      title: { type: 'plain_text', text: 'Deploy to briefed?' },
      text: { type: 'mrkdwn', text: `This will deploy \`${shas.a.slice(0, 12)}\` of *${project}* to *briefed*.` },
      confirm: { type: 'plain_text', text: 'Approve' },
      deny: { type: 'plain_text', text: 'Not yet' },
      style: 'danger',
    });
    for (const part of links) expect(textOf(done)).toContain(JSON.stringify(part).slice(1, -1));
    expect(announced.args.text).toBe(done.args.text);
    expect(textOf(announced)).toContain(JSON.stringify(links[0]).slice(1, -1));
    // The forge's deployment links to the environment itself.
    await waitFor('the GitLab deploy status', () => gitlab.record.statuses.some((status) => status.name === 'slipway/deploy/briefed' && status.state === 'success'));
    expect(gitlab.record.statuses.filter((status) => status.name === 'slipway/deploy/briefed').map((status) => status.targetUrl)).toEqual(['https://briefed.example.test', 'https://briefed.example.test']);

    // The next request shows what runs there now, and the diff between the two.
    const second = await requestOf('UREQUESTER', shas.b, 'briefed');
    const next = textOf(await messageOf(second));
    await buttonClick(service.base, 'UAPPROVER', 'deploy_reject', String(second));
    const rejected = await waitFor('the rejection announced', () => slack.of('chat.postMessage').find((call) => call.args.channel === ANNOUNCE && call.args.text?.startsWith(':no_entry_sign: Rejected')));

    expect(next).toContain(`<${GITLAB_URL}/${project}/-/commit/${shas.b}|Speed up checkout> by Grace Hopper`);
    expect(next).toMatch(new RegExp(`When asked, \\*briefed\\* ran \`${shas.a.slice(0, 12)}\` \\(\`${digests.a!.slice(0, 19)}…\`\\) since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC, approved by <@UAPPROVER>\\.`));
    expect(next).toContain(`<${GITLAB_URL}/${project}/-/compare/${shas.a}...${shas.b}|changes since what runs now>`);
    expect(rejected.args.text).toBe(`:no_entry_sign: Rejected by <@UAPPROVER>: deploy \`${shas.b.slice(0, 12)}\` of *${project}* to *briefed*.`);
  });

  it('ends a request nobody decided in time by itself: its message loses the buttons and the trail says so once', async () => {
    const id = await requestOf('UREQUESTER', shas.b, 'qa');

    const update = await waitFor('the Expired update', () => slack.of('chat.update').find((call) => call.args.text?.startsWith(':hourglass: Expired') && call.args.text.includes(shas.b.slice(0, 12))), 15_000);
    const audited = await service.db.query(`SELECT action FROM audit_events WHERE deployment_id = $1 ORDER BY id`, [id]);

    expect(update.args.text).toMatch(new RegExp(`^:hourglass: Expired: nobody approved the request to deploy \`${shas.b.slice(0, 12)}\` of \\*${project}\\* to \\*qa\\* before .* UTC\\.$`));
    expect(update.args.blocks).not.toContain('deploy_approve');
    expect(audited.rows.map((row) => row.action)).toEqual(['requested', 'expired']);
  });

  it('withdraws a request whose approval message cannot be posted, and tells the requester how to fix it', async () => {
    const response = await slashCommand(service.base, 'UREQUESTER', `${shas.a.slice(0, 10)} shown`, { channel: NOT_IN_CHANNEL });
    const answer = (await response.json()) as { text: string };
    const id = Number(/Request #(\d+) was withdrawn/.exec(answer.text)?.[1]);
    const row = (await service.db.query('SELECT status, error FROM deployments WHERE id = $1', [id])).rows[0];
    const audited = await service.db.query(`SELECT action FROM audit_events WHERE deployment_id = $1 ORDER BY id`, [id]);

    expect(answer.text).toBe(
      `Not asked: Slipway could not post the approval message in this channel (not_in_channel): invite the bot to this channel (/invite @Slipway) and ask again. Request #${id} was withdrawn.`,
    );
    expect(row).toEqual({ status: 'withdrawn', error: 'not_in_channel' });
    expect(audited.rows.map((each) => each.action)).toEqual(['requested', 'withdrawn']);
  });

  it('ends a lock given a time by itself, and says so in the history; only approvers or its owner unlock', async () => {
    const locked = await say('UAPPROVER', 'lock shown smoke test for 1s');
    const status = await say('UREQUESTER', 'status shown');
    const notYours = await say('UREQUESTER', 'unlock shown');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const allowed = await say('UREQUESTER', `${shas.b.slice(0, 8)} shown`);
    const history = await say('UREQUESTER', 'history shown');
    const ended = await service.db.query(`SELECT actor, detail->>'reason' AS reason FROM audit_events WHERE project = $1 AND environment = 'shown' AND action = 'lock expired'`, [project]);

    expect(locked.body.text).toMatch(/^<@UAPPROVER>: shown is locked: smoke test\. No deploys until \d{4}-\d\d-\d\d \d\d:\d\d UTC or \/deploy unlock shown\.$/);
    expect(status.body.text).toMatch(/:lock: locked by <@UAPPROVER> until \d{4}-\d\d-\d\d \d\d:\d\d UTC: smoke test/);
    expect(notYours.body.text).toBe("Not unlocked: only shown's approvers, or <@UAPPROVER> who locked it, may unlock it");
    expect(allowed.body.text).toMatch(/^Asked for approval/);
    expect(ended.rows).toEqual([{ actor: 'slipway', reason: 'smoke test' }]);
    expect(history.body.text).toContain('lock expired');
  });

  it.each([
    ['an unknown SHA', () => `${'f'.repeat(12)} prod`, 'Not deploying: no pipeline has run for a commit starting with ffffffffffff'],
    ['an ambiguous prefix', () => 'abcdef1 prod', /^Not deploying: abcdef1 is ambiguous; it could be `abcdef1[0-9a-f]{5}` \(.*pipeline #\d+ passed\), `abcdef1[0-9a-f]{5}` \(.*\): give more of the SHA$/],
    ['a SHA whose pipeline failed', () => `${shas.failed.slice(0, 9)} prod`, /^Not deploying: pipeline #\d+ for [0-9a-f]{12} failed: only a commit whose pipeline passed can be deployed$/],
    ['an unknown environment', () => `${shas.a.slice(0, 9)} moon`, /^Not deploying: there is no environment called moon; known: /],
    ['someone who may not request deploys there', () => `${shas.a.slice(0, 9)} team`, 'Not deploying: you may not deploy to team: ask <@UALICE>, <@UBOB>'],
    ['a word that is not a SHA', () => 'yesterday prod', '"yesterday" is not a commit SHA (7 to 40 hex characters) or a command; try /deploy help'],
  ])('refuses %s with a clear message and records nothing', async (_name, text, message) => {
    const before = (await service.db.query('SELECT count(*)::int AS n FROM deployments')).rows[0].n;

    const answer = await say('UREQUESTER', text());

    expect(answer.body.response_type).toBe('ephemeral');
    if (typeof message === 'string') expect(answer.body.text).toBe(message);
    else expect(answer.body.text).toMatch(message);
    expect((await service.db.query('SELECT count(*)::int AS n FROM deployments')).rows[0].n).toBe(before);
  });

  it('refuses an environment only the pipeline file names, listing the file’s environments', async () => {
    const pipelineId = (await service.db.query<{ id: string }>('SELECT id FROM pipelines WHERE sha = $1', [shas.a])).rows[0]!.id;
    for (const [position, environment] of ['prod', 'review/fix-totals', 'prod-eu'].entries()) {
      await service.db.query(`INSERT INTO jobs (pipeline_id, name, kind, stage, position, status, environment) VALUES ($1, $2, 'script', 'deploy', $3, 'skipped', $4)`, [pipelineId, `deploy-${position}`, 10 + position, environment]);
    }

    const answer = await say('UREQUESTER', `${shas.a.slice(0, 9)} prod-eu`);

    expect(answer.body.text).toMatch(
      new RegExp(`^Not deploying: there is no environment called prod-eu; known: .*; the pipeline file of ${shas.a.slice(0, 12)} names prod, prod-eu, review/fix-totals, but only environments in SLIPWAY_CONFIG can be deployed to: ask an operator to add it there$`),
    );
  });

  it.each([
    ['a bad signature', { secret: 'not-the-signing-secret' }],
    ['a stale timestamp', { timestamp: Math.floor(Date.now() / 1000) - 10 * 60 }],
  ])('answers %s with 401 and records nothing', async (_name, options) => {
    const before = (await service.db.query('SELECT (SELECT count(*) FROM deployments) + (SELECT count(*) FROM audit_events) AS n')).rows[0].n;

    const command = await slashCommand(service.base, 'UREQUESTER', `${shas.a.slice(0, 8)} prod`, options);
    const click = await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', '1', options);

    expect(command.status).toBe(401);
    expect(click.status).toBe(401);
    expect((await service.db.query('SELECT (SELECT count(*) FROM deployments) + (SELECT count(*) FROM audit_events) AS n')).rows[0].n).toBe(before);
  });

  it('rolls an environment back to the digest it had before, after approval', async () => {
    await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(await requestOf('UREQUESTER', shas.a, 'rollback')));
    await waitFor('the first deploy', async () => (await environmentDigest('rollback')) === digests.a);
    const second = await requestOf('UREQUESTER', shas.b, 'rollback');
    await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(second));
    expect((await finalState(second)).previous_digest).toBe(digests.a);

    const asked = await say('UREQUESTER', 'rollback rollback');
    const rollbackId = Number(/#(\d+)/.exec(asked.body.text)![1]);
    const message = await waitFor('the rollback message', () => slack.of('chat.postMessage').find((call) => call.args.blocks?.includes(`"value":"${rollbackId}"`)));
    expect(message.args.text).toBe(`:rocket: <@UREQUESTER> asks to roll back *${project}* in *rollback* from \`${shas.b.slice(0, 12)}\` to \`${shas.a.slice(0, 12)}\`.`);
    expect(message.args.blocks).toContain(`${GITLAB_URL}/${project}/-/compare/${shas.a}...${shas.b}|what the rollback undoes`);
    await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(rollbackId));
    const finished = await finalState(rollbackId);
    const history = await say('UREQUESTER', 'history rollback');

    expect(finished.status).toBe('succeeded');
    expect(await environmentDigest('rollback')).toBe(digests.a);
    expect(finished.previous_digest).toBe(digests.b);
    expect(history.body.text).toContain(`Slipway rolled back \`${shas.a.slice(0, 12)}\``);
    // lockAfterRollback: the commit rolled back from cannot go out again by accident.
    const again = await say('UREQUESTER', `${shas.b.slice(0, 8)} rollback`);
    expect(again.body.text).toMatch(
      new RegExp(`^Not deploying: rollback is locked by <@UAPPROVER> since .* UTC: locked after the rollback to ${shas.a.slice(0, 12)} \\(from ${shas.b.slice(0, 12)}\\): fix forward, then /deploy unlock rollback$`),
    );
    // One tag per promotion that never moves, sorting by time: newest-by-name follows the rollback.
    const stamped = (await registry.listTags(environmentRepository(project)))
      .map((tag) => /^rollback-(\d+)-([0-9a-f]{12})$/.exec(tag))
      .filter((match) => match !== null)
      .map((match) => ({ tag: match[0], seconds: Number(match[1]), sha: match[2] }))
      .sort((x, y) => x.seconds - y.seconds);
    expect(stamped.map((entry) => entry.sha)).toEqual([shas.a.slice(0, 12), shas.b.slice(0, 12), shas.a.slice(0, 12)]);
    expect(new Set(stamped.map((entry) => entry.seconds)).size).toBe(3);
    expect((await registry.getManifest(environmentRepository(project), stamped.at(-1)!.tag))?.digest).toBe(digests.a);
    expect((await registry.getManifest(environmentRepository(project), stamped[1]!.tag))?.digest).toBe(digests.b);
  });

  it('keeps the old container running when the new one fails its health check', async () => {
    const good = await requestOf('UREQUESTER', shas.a, 'web');
    await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(good));
    expect(await finalState(good)).toMatchObject({ status: 'succeeded', error: null });
    const running = await host.getContainer(container).inspect();

    const bad = await requestOf('UREQUESTER', shas.bad, 'web');
    const asked = await waitFor('the approval message', () => slack.of('chat.postMessage').find((call) => call.args.blocks?.includes(`"value":"${bad}"`)));
    await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(bad));
    const failed = await finalState(bad);
    const after = await host.getContainer(container).inspect();

    expect(asked.args.blocks).toContain(`${PUBLIC_URL}/pipelines/`);
    expect(asked.args.blocks).not.toContain('Too late to be shown');
    expect(running.State.Health?.Status).toBe('healthy');
    expect(running.Config.Env).toEqual(expect.arrayContaining(['WEB_SECRET=web-secret-value', 'WEB_CONFIG=/run/slipway/variables/WEB_CONFIG']));
    expect(running.Config.Env!.join('\n')).not.toMatch(/WEB_PROTECTED|EVERYWHERE|HOOK_TOKEN/);
    expect(await containerFile(host.getContainer(container), '/run/slipway/variables/WEB_CONFIG')).toBe('[web]\nport = 8080\n');
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^the new container did not become healthy \(its health check failed.*\); .* keeps running the previous version$/);
    expect(after.Id).toBe(running.Id);
    expect(after.State.Running).toBe(true);
    expect(after.Config.Image).toContain(digests.a);
    expect(await environmentDigest('web')).toBe(digests.a);
    await expect(host.getContainer(`${container}-next`).inspect()).rejects.toThrow();
  });

  it('fails a deploy whose action is job when the tested pipeline has no deploy job, before the tag moves', async () => {
    const id = await requestOf('UREQUESTER', shas.a, 'jobless');
    await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(id));
    const finished = await finalState(id);
    const pipelineId = (await service.db.query('SELECT pipeline_id FROM deployments WHERE id = $1', [id])).rows[0].pipeline_id;

    expect(finished.status).toBe('failed');
    expect(finished.error).toBe(
      `jobless's action is job, but pipeline #${pipelineId} has no job that deploys there: add a job with environment: jobless (or one in the deploy stage) to the pipeline file, or give jobless another action in SLIPWAY_CONFIG`,
    );
    expect(await environmentDigest('jobless')).toBeNull();
  });

  it('posts a signed description of the deploy to a webhook action', async () => {
    const id = await requestOf('UREQUESTER', shas.b, 'hook');

    await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(id));
    await finalState(id);
    const delivery = hookDeliveries.at(-1)!;
    const body = JSON.parse(delivery.body) as Record<string, unknown>;

    expect(delivery.signature).toBe(`sha256=${createHmac('sha256', 'a-webhook-secret-for-tests').update(delivery.body).digest('hex')}`);
    expect(body).toMatchObject({ deploymentId: id, project, environment: 'hook', sha: shas.b, digest: digests.b, approvedBy: 'UAPPROVER', kind: 'deploy', variables: ['HOOK_TOKEN'] });
    expect(delivery.body).not.toContain('hook-token-value');
    const audit = await service.db.query<{ text: string }>(`SELECT string_agg(a::text, ' ') AS text FROM audit_events a`);
    expect(audit.rows[0]!.text).not.toMatch(/hook-token-value|web-secret-value/);
  });

  it('shows status and help', async () => {
    const id = await requestOf('UREQUESTER', shas.b, 'shown');
    await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(id));
    await finalState(id);

    const status = await say('UREQUESTER', 'status shown');
    const help = await say('UREQUESTER', 'help');

    expect(status.body.text).toContain(`*${project}:shown*: \`${shas.b.slice(0, 12)}\``);
    expect(help.body.text).toContain('`/deploy <sha> <env>`');
    expect(help.body.text).toContain('`/deploy lock <env> <reason> [for 2h]`');
    expect(help.body.text).toContain('(`branches` and `after` in SLIPWAY_CONFIG)');
    expect(help.body.text).toContain('(`lockAfterRollback`)');
  });
});
