/**
 * Database and Redis drivers, loaded the first time a configured store or broker needs one. They
 * are optional peer dependencies of `@hutong/server`: a SQLite-only server installs none of them,
 * and a configuration naming a driver that is not installed fails with a ConfigError (exit 2)
 * saying what to install.
 */
import { createRequire } from 'node:module';
import { ConfigError } from './config/config.js';

type Drivers = {
  pg: typeof import('pg');
  mysql2: typeof import('mysql2');
  ioredis: typeof import('ioredis');
};

export type DriverName = keyof Drivers;

const require = createRequire(import.meta.url);

/**
 * The driver module, loaded synchronously (all three are CommonJS). `use` says what needs it, for
 * the error: a setting (`HUTONG_STORE=postgres`, then the error's key) or a phrase.
 */
export function loadDriver<N extends DriverName>(name: N, use: string): Drivers[N] {
  try {
    return require(name) as Drivers[N];
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${name}'`)) {
      throw new ConfigError(use.includes('=') ? use.split('=')[0]! : name, `install ${name} to use ${use}`);
    }
    throw error;
  }
}

/** The driver each kind of SQL or Redis store needs. */
export const driverOf = {
  postgres: 'pg',
  mysql: 'mysql2',
  redis: 'ioredis',
} as const satisfies Record<string, DriverName>;
