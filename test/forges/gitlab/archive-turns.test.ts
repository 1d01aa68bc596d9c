import { describe, expect, it } from 'vitest';
import { archiveTurns } from '../../../src/forges/gitlab/archive-turns.js';

// GitLab allows a few archive downloads per minute for each project and user: a project over
// its share waits for its own next turn, and never holds back another project's.
describe('turns for GitLab archives', () => {
  it('lets each project have its share at once, and makes the next of a busy project wait for the window', async () => {
    const turn = archiveTurns(2, 1);
    const started = Date.now();
    const at: Record<string, number> = {};
    const take = (name: string, project: number) => turn(project).then(() => (at[name] = Date.now() - started));

    await Promise.all([take('a1', 1), take('a2', 1), take('b1', 2), take('b2', 2), take('a3', 1)]);

    for (const name of ['a1', 'a2', 'b1', 'b2']) expect(at[name], name).toBeLessThan(500);
    expect(at.a3).toBeGreaterThanOrEqual(900);
  });
});
