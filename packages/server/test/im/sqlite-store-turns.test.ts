/**
 * The SQLite message store writes once per turn of the event loop: the accepts and cursor moves
 * asked in one turn share one transaction, a device's moves keep the furthest, and what was asked
 * before `close` is on disk after it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteMessageStore } from '../../src/im/sqlite-message-store.js';

test('cursor moves of one turn: one transaction, the furthest kept, written by close', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hutong-sqlite-turns-'));
  const file = join(dir, 'im.sqlite');
  try {
    const store = new SqliteMessageStore({ file });
    await store.migrate();
    const spy = new Database(file);
    const changes = () => spy.pragma('data_version', { simple: true }) as number;
    const before = changes();
    await Promise.all([
      store.advance('u1', 'phone', 3),
      store.advance('u1', 'phone', 7),
      store.advance('u1', 'phone', 5),
      ...Array.from({ length: 50 }, (_, i) => store.advance(`user${i}`, 'default', i + 1)),
    ]);
    // data_version moves once per commit made by another connection.
    assert.equal(changes() - before, 1, 'one commit for the 53 moves');
    assert.equal(await store.cursor('u1', 'phone'), 7);
    assert.equal(await store.cursor('user49', 'default'), 50);
    void store.advance('u2', 'pc', 9); // not awaited: close writes it
    await store.close();
    spy.close();
    const again = new SqliteMessageStore({ file });
    assert.equal(await again.cursor('u2', 'pc'), 9);
    await again.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
