import { describe, expect, it } from 'vitest';
import { logConverter, logLines, renderLogLines } from '../../src/web/job-log.js';
import { page } from '../../src/web/layout.js';
import { html } from '../../src/web/html.js';

const shown = (text: string) => logLines(text, logConverter()).map((line) => (line.kind === 'line' ? line.html : line.kind));

describe('a job log as the page shows it', () => {
  it('shows what a terminal shows after carriage returns: the last drawing, and returns at the end move only the cursor', () => {
    expect(shown('Sending build context to Docker daemon  2.048kB\r\r\nStep 1/2 : FROM busybox\n')).toEqual(['Sending build context to Docker daemon  2.048kB', 'Step 1/2 : FROM busybox']);
    expect(shown('10%\r50%\r100%\r\n')).toEqual(['100%']);
    expect(shown('\r\n')).toEqual(['']);
  });

  it('folds GitLab’s sections, and escapes what the branch printed', () => {
    const lines = logLines('\x1b[0Ksection_start:1:build[collapsed=true]\r\x1b[0KBuilding\n<b>bold</b>\n\x1b[0Ksection_end:2:build\r\x1b[0K\n', logConverter());

    expect(renderLogLines(lines).toString()).toBe('<details><summary class="l">Building</summary><span class="l">&lt;b&gt;bold&lt;/b&gt;</span></details>');
  });
});

describe('the page’s style sheet', () => {
  it('reaches the browser as written, its child selectors unescaped, so sections get their disclosure triangle', () => {
    const markup = page('Pipeline #1', null, html`<p>body</p>`).toString();

    expect(markup).toContain('pre.log details>summary{');
    expect(markup).not.toMatch(/<style>[^<]*&gt;/);
  });
});
