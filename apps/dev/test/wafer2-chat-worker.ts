/**
 * One phone in a worker thread: its own global `wx` (the simulator's) and its own copy of
 * wafer2-client-sdk, so several official clients can share a test. Reports events to the parent;
 * obeys `{cmd: 'speak', word}` and `{cmd: 'close'}`.
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { createWx } from '@hutong/wechat-sim';

const { url, appid, nickName } = workerData as { url: string; appid: string; nickName: string };
(globalThis as { wx?: unknown }).wx = createWx({
  baseUrl: `${url}/__wx`,
  appid,
  userInfo: { nickName, avatarUrl: 'https://example.com/a.png' },
});
const sdk = createRequire(import.meta.url)('wafer2-client-sdk');
const post = (event: string, payload?: unknown) => parentPort!.postMessage({ event, payload });

sdk.setLoginUrl(`${url}/weapp/login`);
sdk.login({
  success: () => {
    const tunnel = new sdk.Tunnel(`${url}/weapp/tunnel`);
    for (const event of ['connect', 'close', 'reconnecting', 'reconnect', 'error', 'people', 'speak']) {
      tunnel.on(event, (payload: unknown) => post(event, payload));
    }
    parentPort!.on('message', (message: { cmd: string; word?: string }) => {
      if (message.cmd === 'speak') tunnel.emit('speak', { word: message.word });
      if (message.cmd === 'close') tunnel.close();
    });
    tunnel.open();
  },
  fail: (error: Error) => post('login-failed', String(error?.message ?? error)),
});
