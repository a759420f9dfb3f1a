/**
 * The logging Hutong's shared pieces need: pino's call shape (`logger.warn({ err }, 'text')`), so
 * a pino logger (what the server uses) or a thin adapter over any other logger fits.
 */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}
