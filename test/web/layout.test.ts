import { describe, expect, it } from 'vitest';
import { ago, when } from '../../src/web/layout.js';

// Times on the pages as GitLab shows them: how long ago, the exact time on hover.

describe('times on the pages', () => {
  const now = Date.parse('2026-12-05T12:00:00Z');

  it('say how long ago a recent time was, with the exact UTC time in the title', () => {
    expect(String(when(new Date(now - 5 * 60_000), now))).toBe('<time datetime="2026-12-05T11:55:00.000Z" title="2026-12-05 11:55:00 UTC">5 min ago</time>');
    expect([12_000, 3 * 3600_000, 86_400_000, 4 * 86_400_000].map(ago)).toEqual(['12 s ago', '3 h ago', '1 day ago', '4 days ago']);
  });

  it('give a later time, or one older than a month, as the UTC time itself, and a dash for none', () => {
    expect(String(when('2026-12-05T12:30:00Z', now))).toBe('<time datetime="2026-12-05T12:30:00.000Z">2026-12-05 12:30:00 UTC</time>');
    expect(String(when('2026-09-01T08:00:00Z', now))).toBe('<time datetime="2026-09-01T08:00:00.000Z">2026-09-01 08:00:00 UTC</time>');
    expect(String(when(null, now))).toBe('<span class="muted">–</span>');
  });
});
