import AnsiToHtml from 'ansi-to-html';
import { html, raw, type SafeHtml } from './html.js';

/** One line of a job's log, as the page shows it: text, or the start or end of a folding section. */
export type LogLine = { kind: 'line'; html: string } | { kind: 'start'; name: string; html: string; collapsed: boolean } | { kind: 'end'; name: string };

// GitLab's collapsible sections: `section_start:<time>:<name>[collapsed=true]\r\e[0K<header>`.
const SECTION = /^(?:.*\r)?\x1b\[0Ksection_(start|end):\d+:([A-Za-z0-9_.-]+)(\[[^\]]*\])?\r\x1b\[0K(.*)$|^section_(start|end):\d+:([A-Za-z0-9_.-]+)(\[[^\]]*\])?\r\x1b\[0K(.*)$/;

/** A converter keeps colours open across calls: one per job and reader. */
export const logConverter = () => new AnsiToHtml({ escapeXML: true, stream: true, fg: '#e6edf3', bg: '#161b22' });

/** Splits log text into lines (the last one may be a partial line) and converts each to escaped HTML. */
export function logLines(text: string, converter: AnsiToHtml): LogLine[] {
  const parts = text.split('\n');
  if (parts.at(-1) === '') parts.pop();
  return parts.map((line): LogLine => {
    const section = SECTION.exec(line);
    if (section) {
      const kind = section[1] ?? section[5];
      const name = (section[2] ?? section[6])!;
      if (kind === 'end') return { kind: 'end', name };
      const options = section[3] ?? section[7] ?? '';
      return { kind: 'start', name, html: converter.toHtml(section[4] ?? section[8] ?? ''), collapsed: /collapsed=true/.test(options) };
    }
    // A carriage return redraws the line (progress bars): the page shows what was drawn last,
    // as a terminal does; returns at the end (`\r\r`, Docker's build output) only move the cursor.
    const drawn = line.replace(/\r+$/, '');
    const shown = drawn.slice(drawn.lastIndexOf('\r') + 1);
    return { kind: 'line', html: converter.toHtml(shown) };
  });
}

/**
 * The lines as nested markup: a section is a <details> the reader can fold. With `anchors`
 * (an id prefix), each line is `id="<prefix>L<n>"` with its number a link to it, as GitLab's `#L42`.
 */
export function renderLogLines(lines: LogLine[], anchors?: string): SafeHtml {
  let out = '';
  let number = 0;
  const numbered = () => {
    number += 1;
    return anchors === undefined ? '' : ` id="${anchors}L${number}"`;
  };
  const link = () => (anchors === undefined ? '' : `<a class="n" href="#${anchors}L${number}" data-n="${number}"></a>`);
  const open: string[] = [];
  for (const line of lines) {
    if (line.kind === 'start') {
      open.push(line.name);
      out += `<details${line.collapsed ? '' : ' open'}><summary class="l"${numbered()}>${link()}${line.html}</summary>`;
    } else if (line.kind === 'end') {
      const at = open.lastIndexOf(line.name);
      if (at < 0) continue;
      out += '</details>'.repeat(open.length - at);
      open.length = at;
    } else {
      out += `<span class="l"${numbered()}>${link()}${line.html}</span>`;
    }
  }
  out += '</details>'.repeat(open.length);
  return raw(out);
}

/**
 * A job's log (its id lets the live page add to it, `anchors` its lines' ids), or a service's
 * (null: it does not grow, and its lines are counted only).
 */
export function logBlock(jobId: number | null, lines: LogLine[], anchors = jobId === null ? undefined : `j${jobId}-`): SafeHtml {
  if (jobId === null) return html`<pre class="log counted">${renderLogLines(lines)}</pre>`;
  return html`<pre class="log" id="log-${jobId}" data-anchors="${anchors ?? ''}">${renderLogLines(lines, anchors)}</pre>`;
}
