import { describe, expect, it } from 'vitest';
import { progressPrinter, wantsColour } from '../../src/commands/print-progress.js';
import type { JobResult } from '../../src/pipeline/run/engine.js';
import type { ScriptJobSpec } from '../../src/pipeline/plan.js';

// `slipway run`'s live log as a person reads it in a terminal or a CI log: jobs side by side
// stay apart, line by line, each after its name.

const job = (name: string): ScriptJobSpec => ({ kind: 'script', name, stage: 'test', image: 'busybox', script: [], variables: {} });
const passed = (name: string): JobResult => ({ name, kind: 'script', status: 'passed', exitCode: 0, durationMs: 1200 });

describe('the live log of slipway run', () => {
  it('prints each job’s lines whole, after its name aligned to the longest, however the output arrives', async () => {
    let out = '';
    const printer = progressPrinter((text) => void (out += text), { colour: false, names: ['lint', 'unit-tests'] });
    const [lint, unit] = [job('lint'), job('unit-tests')];

    printer.environmentOpened!({ durationMs: 640, warm: false });
    await printer.jobStarted!(lint);
    await printer.jobStarted!(unit);
    printer.jobOutput!(lint, 'checking fi');
    printer.jobOutput!(unit, 'ran 3 tests\nOK');
    printer.jobOutput!(lint, 'les\nall clean\n');
    await printer.jobFinished!(unit, passed('unit-tests'));
    await printer.jobFinished!(lint, passed('lint'));
    printer.environmentClosed!({ durationMs: 150 });

    expect(out).toBe(
      [
        'Docker daemon ready in 640ms',
        'lint       | ── started (busybox)',
        'unit-tests | ── started (busybox)',
        'unit-tests | ran 3 tests',
        'lint       | checking files',
        'lint       | all clean',
        'unit-tests | OK',
        'unit-tests | ── passed in 1.2s',
        'lint       | ── passed in 1.2s',
        'Docker daemon removed in 150ms',
        '',
      ].join('\n'),
    );
  });

  it('colours each job’s name on a terminal, and widens for a child pipeline’s longer names', async () => {
    let out = '';
    const printer = progressPrinter((text) => void (out += text), { colour: true, names: ['a', 'b'] });
    await printer.jobsAdded!([job('a » child')]);
    printer.jobOutput!(job('a'), 'one\n');
    printer.jobOutput!(job('b'), 'two\n');

    expect(out).toBe('\x1b[36ma        \x1b[0m | one\n\x1b[33mb        \x1b[0m | two\n');
  });

  it('colours only a terminal, never with NO_COLOR, always with FORCE_COLOR', () => {
    expect(wantsColour({ isTTY: true }, {})).toBe(true);
    expect(wantsColour({ isTTY: false }, {})).toBe(false);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColour({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(true);
  });
});
