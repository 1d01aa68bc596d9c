import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout: a fixed message plus a metadata object, never a secret. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'slipway' },
    redact: {
      paths: ['*.password', '*.token', '*.secret', '*.privateKey', 'headers.authorization', '*.headers.authorization'],
      censor: '[masked]',
    },
  });
}
