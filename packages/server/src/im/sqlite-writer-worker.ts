/**
 * The SQLite IM store's writer thread (see ThreadWriter): one connection to the file, the store's
 * write transactions run here, one request at a time, in the order they were posted. The tables
 * exist already (the store migrates before starting it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from './sqlite-im-tables.js';
import { sqliteWriteOps } from './sqlite-write-ops.js';
import {
  toWireError,
  toWireOutcome,
  type WriterReply,
  type WriterRequest,
} from './sqlite-writer-protocol.js';

const port = parentPort!;
const { file, busyTimeoutMs } = workerData as { file: string; busyTimeoutMs: number };
// Checkpoints are the SqliteCheckpointer's, until it fails (checkpointOnCommit).
const db = openSqlite(file, { busyTimeoutMs, checkpoints: 'elsewhere' });
const ops = sqliteWriteOps(db);

const run = (request: WriterRequest): unknown => {
  switch (request.kind) {
    case 'batch':
      return ops.batch(request.messages, request.moves).map(toWireOutcome);
    case 'markRead':
      return ops.markRead(request.conv, request.userId, request.seq);
    case 'setMembers':
      ops.setMembers(request.groupId, request.userIds);
      return undefined;
    case 'checkpointOnCommit':
      db.pragma('wal_autocheckpoint = 1000');
      return undefined;
    case 'close':
      db.close();
      port.close();
      return undefined;
  }
};

port.on('message', (request: WriterRequest) => {
  if (!('id' in request)) {
    run(request);
    return;
  }
  let reply: WriterReply;
  try {
    reply = { id: request.id, ok: true, value: run(request) };
  } catch (error) {
    reply = { id: request.id, ok: false, error: toWireError(error) };
  }
  port.postMessage(reply);
});
