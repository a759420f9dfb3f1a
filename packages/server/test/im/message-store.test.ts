/** The shared MessageStore suite against SQLite (file and memory). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMessageStore } from '../../src/im/sqlite-message-store.js';
import { messageStoreSuite } from './message-store.suite.js';

messageStoreSuite('SQLite in memory', async () => ({
  store: new SqliteMessageStore({ file: ':memory:' }),
  cleanup: async () => {},
}));

messageStoreSuite('SQLite file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hutong-im-'));
  return {
    store: new SqliteMessageStore({ file: join(dir, 'im.db') }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
