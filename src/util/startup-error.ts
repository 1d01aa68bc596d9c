/**
 * Infrastructure Slipway cannot start without failed, said in one line that names what to
 * check: the raw Node error (`connect ECONNREFUSED 127.0.0.1:5432`) names neither the setting nor what to do.
 */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}
