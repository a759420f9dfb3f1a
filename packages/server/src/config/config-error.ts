/**
 * What a configuration check reports. A `ConfigError` names the setting it is about by its
 * environment variable (`HUTONG_STORE_URL`) or, once the config file's loader has placed it, by
 * the file key and the variable (`hutong.config.json: store.url (HUTONG_STORE_URL)`).
 */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
  constructor(
    readonly key: string,
    readonly detail: string,
  ) {
    super(`${key}: ${detail}`);
  }
}

/**
 * Several configuration errors at once, so that one `hutong config check` lists them all. Its
 * `key` and `detail` are the first error's, so code that handles one ConfigError still works.
 */
export class ConfigErrors extends ConfigError {
  override readonly name = 'ConfigErrors';
  constructor(readonly errors: readonly ConfigError[]) {
    const first = errors[0] ?? new ConfigError('configuration', 'invalid');
    super(first.key, first.detail);
    this.message = errors.map((error) => error.message).join('\n');
  }
}

/** A setting that works but is probably not what was meant; printed, never fatal. */
export interface ConfigWarning {
  key: string;
  detail: string;
}

/** Throws when `errors` is not empty: the one error itself, or a ConfigErrors of them all. */
export function throwIfAny(errors: readonly ConfigError[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ConfigErrors(errors);
}
