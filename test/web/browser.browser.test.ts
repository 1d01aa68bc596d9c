import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { startFakeGitlabLogin, type FakeGitlabLogin } from '../helpers/fake-gitlab-login.js';
import { startTestService, type TestService } from '../helpers/test-service.js';
import { appendLog, insertPipeline } from '../helpers/web-fixtures.js';
import { freePort } from '../helpers/web-session.js';

const SCREENSHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots');
const READER = { id: 20, username: 'rita-reader' };
const WRITER = { id: 21, username: 'dev-dora' };

describe('the web UI in a real browser', () => {
  let fake: FakeGitlabLogin;
  let lab: TestService;
  let base: string;
  let browser: Browser;
  let policyDir: string;
  let running: { id: number; jobIds: number[] };
  let queued: { id: number };
  let deployedSha: string;

  async function loggedIn(user: { id: number; username: string }, viewport = { width: 1200, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    fake.nextUser = user;
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: 'Log in with GitLab' }).click();
    await page.waitForURL(`${base}/`);
    return { context, page };
  }

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    fake = await startFakeGitlabLogin();
    fake.projects.set(201, { visibility: 'private', members: new Map([[READER.id, 20], [WRITER.id, 30]]) });
    fake.projects.set(202, { visibility: 'private', members: new Map([[WRITER.id, 30]]) });
    policyDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-browser-'));
    const policyFile = path.join(policyDir, 'slipway.yml');
    await writeFile(policyFile, 'projects:\n  shop/web:\n    environments:\n      prod:\n        approvers: [UAPPROVER]\n        url: https://shop.example.test\n  shop/secret:\n    environments:\n      prod:\n        approvers: [UAPPROVER]\n');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    lab = await startTestService(
      { PORT: String(port), PUBLIC_URL: base, GITLAB_URL: fake.url, GITLAB_OAUTH_CLIENT_ID: fake.clientId, GITLAB_OAUTH_CLIENT_SECRET: fake.clientSecret, SLIPWAY_CONFIG: policyFile },
      { workers: false, deploys: false, livePollMs: 200 },
    );
    const passed = await insertPipeline(lab.db, {
      project: 'shop/web',
      projectId: 201,
      status: 'passed',
      jobs: [
        { name: 'lint', stage: 'test', status: 'passed', log: 'section_start:1700000000:install[collapsed=true]\r\u001b[0KInstalling\nnpm ci\nsection_end:1700000001:install\r\u001b[0K\n\u001b[32mall clean\u001b[0m\n' },
        { name: 'unit', stage: 'test', status: 'passed', log: '12 passed\n' },
        { name: 'image', stage: 'build', status: 'passed', needs: ['unit'], log: 'pushed\n' },
        { name: 'docs', stage: 'build', status: 'skipped' },
      ],
    });
    await insertPipeline(lab.db, { project: 'shop/secret', projectId: 202, status: 'passed', jobs: [{ name: 'test', status: 'passed', log: 'secret\n' }] });
    running = await insertPipeline(lab.db, { project: 'shop/web', projectId: 201, status: 'running', ref: 'feature/cart', changeRequest: 12, jobs: [{ name: 'test', status: 'running', log: 'starting the tests\n' }, { name: 'image', stage: 'build' }] });
    queued = await insertPipeline(lab.db, { project: 'shop/web', projectId: 201, status: 'queued', jobs: [{ name: 'test' }] });
    const digest = `sha256:${'a'.repeat(64)}`;
    const sha = (deployedSha = (await lab.db.query<{ sha: string }>('SELECT sha FROM pipelines WHERE id = $1', [passed.id])).rows[0]!.sha);
    const deployment = await lab.db.query<{ id: string }>(
      `INSERT INTO deployments (project, environment, sha, pipeline_id, image_ref, digest, status, requested_by, decided_by, expires_at, finished_at)
       VALUES ('shop/web', 'prod', $1, $2, '127.0.0.1:5000/shop/web:x', $3, 'succeeded', 'UREQUESTER', 'UAPPROVER', now(), now()) RETURNING id`,
      [sha, passed.id, digest],
    );
    await lab.db.query(`INSERT INTO audit_events (actor, action, project, environment, sha, digest, deployment_id) VALUES ('slipway', 'deployed', 'shop/web', 'prod', $1, $2, $3)`, [sha, digest, deployment.rows[0]!.id]);
    await lab.db.query(`INSERT INTO environment_locks (project, environment, locked_by, reason) VALUES ('shop/web', 'prod', 'UOPS', 'database migration running')`);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await lab?.stop();
    fake?.close();
    if (policyDir) await rm(policyDir, { recursive: true, force: true });
  });

  it('logs a reader in with GitLab and shows only the projects they may read', async () => {
    const { context, page } = await loggedIn(READER);
    const projects = await page.locator('tbody tr td:first-child a').allTextContents();
    const environments = await page.locator('tbody tr td:last-child').allTextContents();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'projects.png'), fullPage: true });
    await page.getByRole('link', { name: 'shop/web' }).click();
    const rows = await page.locator('tbody tr').count();
    const title = await page.title();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'project.png'), fullPage: true });
    const buttons = await (await context.newPage()).goto(`${base}/pipelines/${queued.id}`).then((response) => response!.text());
    await context.close();

    expect(projects).toEqual(['shop/web']);
    expect(environments).toEqual([`prod ${deployedSha.slice(0, 8)}`]);
    expect(title).toBe('shop/web · Slipway');
    expect(rows).toBe(3);
    expect(buttons).not.toContain('Cancel pipeline');
  });

  it('shows a running job’s log growing without a reload, with folded sections and line numbers', async () => {
    const { context, page } = await loggedIn(READER);
    await page.goto(`${base}/pipelines/${running.id}`);
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    await appendLog(lab.db, running.jobIds[0]!, '\u001b[31m1 failing\u001b[0m <script>alert(1)</script>\n');
    const log = page.locator(`#log-${running.jobIds[0]}`);
    await log.getByText('1 failing').waitFor();
    const stillSamePage = await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded === true);
    const lines = await log.locator('.l').allTextContents();
    // A line that arrives live is numbered and anchored as the page's own are.
    const liveAnchor = await log.locator('.l').last().evaluate((node) => [(node as unknown as { id: string }).id, (node as unknown as { querySelector(s: string): { getAttribute(a: string): string } }).querySelector('a.n').getAttribute('href')]);
    const colour = await log.getByText('1 failing').evaluate((element) => (globalThis as unknown as { getComputedStyle(node: unknown): { color: string } }).getComputedStyle(element).color);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'pipeline-running.png'), fullPage: true });

    await lab.db.query(`UPDATE jobs SET status = 'failed' WHERE id = $1`, [running.jobIds[0]]);
    await page.locator(`#status-${running.jobIds[0]} .badge.failed`).waitFor();

    await page.goto(`${base}/pipelines/${running.id - 2}`);
    const folded = await page.locator('details:not([open]) > summary').first().textContent();
    // The style sheet's child selectors reach the browser: a section's summary is clickable.
    const [summaryCursor, summaryDisplay] = await page
      .locator('pre.log details > summary')
      .first()
      .evaluate((element) => {
        const style = (globalThis as unknown as { getComputedStyle(node: unknown): { cursor: string; display: string } }).getComputedStyle(element);
        return [style.cursor, style.display];
      });
    const lintLines = await page.locator('pre.log').first().locator('span.l').count();
    const needs = await page.locator('.stage li', { hasText: 'image' }).textContent();
    const skipped = page.locator('section.job', { has: page.locator('h2', { hasText: 'docs' }) });
    const skippedText = await skipped.textContent();
    const skippedLogs = await skipped.locator('pre.log').count();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'pipeline.png'), fullPage: true });
    await context.close();

    expect(stillSamePage).toBe(true);
    expect(lines).toEqual(['starting the tests', '1 failing <script>alert(1)</script>']);
    expect(liveAnchor).toEqual([`j${running.jobIds[0]}-L2`, `#j${running.jobIds[0]}-L2`]);
    expect(colour).toBe('rgb(170, 0, 0)');
    expect(folded).toBe('Installing');
    expect(summaryCursor).toBe('pointer');
    // Its disclosure triangle is drawn: a summary shown as a list item, not a plain block.
    expect(summaryDisplay).toBe('list-item');
    expect(lintLines).toBe(2);
    expect(needs).toContain('needs unit');
    // A skipped job says it did not run, with no empty log box.
    expect(skippedText).toContain('did not run');
    expect(skippedLogs).toBe(0);
  });

  it('gives each job a page of its own whose lines are anchored, a folded section’s lines counted, as GitLab counts them', async () => {
    const { context, page } = await loggedIn(READER);
    const lint = (await lab.db.query<{ id: string }>(`SELECT id FROM jobs WHERE pipeline_id = $1 AND name = 'lint'`, [running.id - 2])).rows[0]!.id;
    await page.goto(`${base}/pipelines/${running.id - 2}`);
    await page.getByRole('link', { name: 'lint', exact: true }).last().click();
    await page.waitForURL(`${base}/pipelines/${running.id - 2}/jobs/${lint}`);
    await page.goto(`${base}/pipelines/${running.id - 2}/jobs/${lint}#L3`);
    const target = await page.locator('.l:target').textContent();
    const link = await page.locator('#L3 > a.n').getAttribute('href');
    const folded = await page.locator('#L2').textContent();
    const title = await page.title();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'job.png'), fullPage: true });
    await context.close();

    expect(target).toBe('all clean');
    expect(link).toBe('#L3');
    expect(folded).toBe('npm ci');
    expect(title).toBe(`lint passed · Pipeline #${running.id - 2} · Slipway`);
  });

  it('fits a phone: the stage graph stacked, branch names whole, a pipeline’s button the size of a button', async () => {
    const { context, page } = await loggedIn(WRITER, { width: 390, height: 844 });
    await page.goto(`${base}/pipelines/${running.id - 2}`);
    const overflow = await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document;
      return doc.documentElement.scrollWidth - doc.documentElement.clientWidth;
    });
    const stages = await page.locator('.stages .stage').evaluateAll((nodes) => nodes.map((node) => (node as unknown as { getBoundingClientRect(): { left: number } }).getBoundingClientRect().left));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'phone-pipeline.png'), fullPage: true });
    await page.goto(`${base}/pipelines/${queued.id}`);
    const fontSize = (selector: string) => page.locator(selector).evaluate((node) => Number.parseFloat((globalThis as unknown as { getComputedStyle(n: unknown): { fontSize: string } }).getComputedStyle(node).fontSize));
    const button = await fontSize('#cancel');
    const title = await fontSize('h1');
    await page.goto(`${base}/projects/gitlab/${encodeURIComponent('shop/web')}`);
    const ref = page.locator('tbody td code', { hasText: 'feature/cart' }).first();
    const [refHeight, lineHeight] = await ref.evaluate((node) => {
      const box = (node as unknown as { getBoundingClientRect(): { height: number } }).getBoundingClientRect();
      return [box.height, Number.parseFloat((globalThis as unknown as { getComputedStyle(n: unknown): { lineHeight: string } }).getComputedStyle(node).lineHeight) || 20];
    });
    await context.close();

    expect(overflow).toBeLessThanOrEqual(0);
    expect(new Set(stages).size).toBe(1);
    expect(button).toBeLessThan(title);
    expect(refHeight).toBeLessThan(lineHeight * 1.5);
  });

  it('lets a developer press Cancel and then Retry', async () => {
    const { context, page } = await loggedIn(WRITER);
    await page.goto(`${base}/pipelines/${queued.id}`);
    await page.getByRole('button', { name: 'Cancel pipeline' }).click();
    await page.locator('#pipeline-status .badge.canceled').waitFor();
    const reason = await page.getByText('Canceled: canceled by').textContent();
    await page.getByRole('button', { name: 'Retry pipeline' }).click();
    await page.waitForURL((url) => url.pathname !== `/pipelines/${queued.id}`);
    const retriedId = Number(new URL(page.url()).pathname.split('/').at(-1));
    const status = await page.locator('#pipeline-status .badge').textContent();
    const retries = await page.getByRole('link', { name: `pipeline #${queued.id}` }).getAttribute('href');
    await context.close();

    expect(reason).toBe(`Canceled: canceled by ${WRITER.username} (gitlab)`);
    expect(retriedId).toBeGreaterThan(queued.id);
    // The retry says what it retries, linked.
    expect(retries).toBe(`/pipelines/${queued.id}`);
    expect(status).toBe('queued');
    expect((await lab.db.query('SELECT status FROM pipelines WHERE id = $1', [queued.id])).rows[0]).toEqual({ status: 'canceled' });
  });

  it('shows what runs in each environment the reader may see, its lock and its history', async () => {
    const { context, page } = await loggedIn(READER);
    await page.getByRole('link', { name: 'Environments' }).first().click();
    const headings = await page.locator('section.environment h2').allTextContents();
    const text = await page.locator('main').textContent();
    const url = await page.getByRole('link', { name: 'https://shop.example.test' }).getAttribute('href');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'environments.png'), fullPage: true });
    await context.close();

    expect(headings).toEqual(['shop/web · prod']);
    expect(url).toBe('https://shop.example.test');
    expect(text).toContain('asked by UREQUESTER, approved by UAPPROVER');
    expect(text).toContain('Locked by UOPS');
    expect(text).toContain('database migration running');
    expect(text).toContain('deployed');
  });
});
