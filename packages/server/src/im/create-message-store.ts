/**
 * Picks a MessageStore from configuration. SQLite is the default for a single node; MySQL or
 * PostgreSQL let several nodes share conversations and inboxes (and may share the session store's
 * database: the IM tables are `<prefix>im_*`). Call `migrate()` before use.
 */
import type { MessageStore } from '@hutong/core';
import { SqlMessageStore } from './sql-message-store.js';
import { SqliteMessageStore } from './sqlite-message-store.js';

export interface MessageStoreOptions {
  kind: 'sqlite' | 'mysql' | 'postgres';
  /** SQLite: a file path or `:memory:`. Otherwise `mysql://…` or `postgres://…`. */
  url: string;
  /** SQL table prefix (MySQL, PostgreSQL). Default `hutong_`. */
  prefix?: string;
}

export function createMessageStore(options: MessageStoreOptions): MessageStore {
  switch (options.kind) {
    case 'sqlite':
      return new SqliteMessageStore({ file: options.url });
    case 'mysql':
    case 'postgres':
      return new SqlMessageStore({
        kind: options.kind,
        url: options.url,
        ...(options.prefix === undefined ? {} : { tablePrefix: options.prefix }),
      });
  }
}
