import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

/** How an option is written on a command line: `--sha SHA`, `--json`. */
function spelling(name: string, option: NonNullable<ParseArgsConfig['options']>[string], valueName?: string): string {
  return option.type === 'string' ? `--${name} ${valueName ?? name.toUpperCase().replaceAll('-', '_')}` : `--${name}`;
}

/**
 * A command's options, read with Node's parser; a mistake in them is one line naming the
 * command's options and where to read more, never the parser's own words.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(command: string, args: string[], config: T, valueNames: Record<string, string> = {}): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs({ ...config, args } as T);
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS')) throw error;
    const options = Object.entries(config.options ?? {}).map(([name, option]) => spelling(name, option, valueNames[name]));
    const takes = options.length > 0 ? `it takes ${options.join(', ')}` : 'it takes no options';
    const written = /'(-[^' ]*)/.exec((error as Error).message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`slipway ${command} has no option ${written}: ${takes} (slipway ${command} --help)`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /does not take an argument/.test((error as Error).message)) throw new UsageError(`${written} takes no value (slipway ${command} --help)`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`${written} needs a value, as in ${options.find((each) => each.startsWith(`${written} `)) ?? written} (slipway ${command} --help)`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`slipway ${command} takes no ${JSON.stringify(/'([^']*)'/.exec((error as Error).message)?.[1] ?? '')}: ${takes} (slipway ${command} --help)`);
    throw new UsageError(`${(error as Error).message} (slipway ${command} --help)`);
  }
}
