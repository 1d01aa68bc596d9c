import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../src/commands/parse-command-args.js';
import { UsageError } from '../../src/commands/usage-error.js';

// A command line's mistakes as a person reads them: one line naming the command's options.

const RUN = { allowPositionals: true, options: { sha: { type: 'string' }, json: { type: 'boolean' }, play: { type: 'string', multiple: true } } } as const;
const refusal = (args: string[], config: Parameters<typeof parseCommandArgs>[2] = RUN) => {
  try {
    parseCommandArgs('run', args, config, { play: 'JOB' });
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${args.join(' ')} was accepted`);
};

describe('a command’s options', () => {
  it('are read as Node reads them', () => {
    expect(parseCommandArgs('run', ['dir', '--sha', 'abc1234', '--play', 'a', '--play', 'b'], RUN).values).toEqual({ sha: 'abc1234', play: ['a', 'b'] });
  });

  it('refuse an unknown option, a missing value, a value where none goes and an extra argument, each in one line', () => {
    expect(refusal(['--colour'])).toBe('slipway run has no option --colour: it takes --sha SHA, --json, --play JOB (slipway run --help)');
    expect(refusal(['--sha'])).toBe('--sha needs a value, as in --sha SHA (slipway run --help)');
    expect(refusal(['--json=yes'])).toBe('--json takes no value (slipway run --help)');
    expect(refusal(['extra'], { options: {} })).toBe('slipway run takes no "extra": it takes no options (slipway run --help)');
  });
});
