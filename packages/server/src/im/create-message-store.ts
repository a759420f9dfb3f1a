/**
 * Picks a MessageStore from configuration. SQLite is the default for a single node; MySQL or
 * PostgreSQL let several nodes share conversations and inboxes (and may share the session store's
 * database: the IM tables are `<prefix>im_*`). Call `migrate()` before use.
 */
import type { MessageStore } from '@hutong/core';
import { SqlMessageStore } from './sql-message-store.js';
import { SqliteMessageStore, type SqliteWriterKind } from './sqlite-message-store.js';

export interface MessageStoreOptions {
  kind: 'sqlite' | 'mysql' | 'postgres';
  /** SQLite: a file path or `:memory:`. Otherwise `mysql://…` or `postgres://…`. */
  url: string;
  /** SQL table prefix (MySQL, PostgreSQL). Default `hutong_`. */
  prefix?: string;
  /**
   * SQLite file: where writes run (see SqliteMessageStore). Default: HUTONG_IM_SQLITE_WRITER
   * (`inline` or `worker`), else the store's default.
   */
  sqliteWriter?: SqliteWriterKind;
}

const writerFromEnv = (): SqliteWriterKind | undefined => {
  const value = process.env.HUTONG_IM_SQLITE_WRITER;
  if (value === undefined || value === '') return undefined;
  if (value === 'inline' || value === 'worker') return value;
  throw new Error(`HUTONG_IM_SQLITE_WRITER must be inline or worker, not ${value}`);
};

export function createMessageStore(options: MessageStoreOptions): MessageStore {
  switch (options.kind) {
    case 'sqlite': {
      const writer = options.sqliteWriter ?? writerFromEnv();
      return new SqliteMessageStore({ file: options.url, ...(writer ? { writer } : {}) });
    }
    case 'mysql':
    case 'postgres':
      return new SqlMessageStore({
        kind: options.kind,
        url: options.url,
        ...(options.prefix === undefined ? {} : { tablePrefix: options.prefix }),
      });
  }
}
