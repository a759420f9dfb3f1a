/**
 * The official Wafer client SDKs, unchanged, running on `createWx` against the simulator and a
 * small business server. Each SDK binds the legacy socket API of the `wx` that is global when
 * its module loads, so each gets its own `wx`, made global before `require`.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { createSimServer, createWx, type SimServer, type SimWx } from '@hutong/wechat-sim';
import { type Business, startBusiness } from './wafer-business.js';

const require = createRequire(import.meta.url);
type Callbacks = { success?: (value: unknown) => void; fail?: (error: unknown) => void };
/** The SDKs are untyped CommonJS. */
type Sdk = any;

let sim: SimServer;
let business: Business;

before(async () => {
  sim = await createSimServer();
  const app = sim.apps[0]!;
  business = await startBusiness({ url: sim.url, appid: app.appid, secret: app.secret });
});
after(async () => {
  delete (globalThis as Record<string, unknown>)['wx'];
  await business.close();
  await sim.close();
});

function load(name: string, userInfo: Record<string, unknown>): { sdk: Sdk; wx: SimWx } {
  const wx = createWx({ baseUrl: sim.url, userInfo });
  (globalThis as Record<string, unknown>)['wx'] = wx;
  return { sdk: require(name), wx };
}

const promise = <T>(start: (callbacks: Callbacks) => void): Promise<T> =>
  new Promise<T>((resolve, reject) => start({ success: resolve as (value: unknown) => void, fail: reject }));

/** Opens a tunnel, says one word, waits for it to come back, closes. */
async function roundTrip(sdk: Sdk, url: string): Promise<unknown> {
  const tunnel = new sdk.Tunnel(url);
  const connected = new Promise((resolve, reject) => {
    tunnel.on('connect', resolve);
    tunnel.on('error', reject);
  });
  const spoken = new Promise((resolve) => tunnel.on('speak', resolve));
  tunnel.open();
  await connected;
  tunnel.emit('speak', { word: 'hello' });
  const reply = await spoken;
  const closed = new Promise((resolve) => tunnel.on('close', resolve));
  tunnel.close();
  await closed;
  return reply;
}

test('wafer2-client-sdk 2.1.0: login, request with session renewal, tunnel', async () => {
  const { sdk, wx } = load('wafer2-client-sdk', { nickName: 'Wafer Two' });
  sdk.setLoginUrl(`${business.url}/weapp/login`);
  const userinfo = await promise<Record<string, unknown>>((cb) => sdk.login(cb));
  assert.equal(userinfo['openId'], wx.sim.openid);
  assert.equal(userinfo['nickName'], 'Wafer Two');

  const first = await promise<{ data: { data: Record<string, unknown> } }>((cb) =>
    sdk.request({ url: `${business.url}/weapp/user`, ...cb }),
  );
  assert.equal(first.data.data['openId'], wx.sim.openid);
  // A 401 makes the SDK log in again with the code alone (a new wx.login) and retry once.
  business.dropSessions();
  const codeBefore = wx.sim.code;
  const renewed = await promise<{ data: { data: Record<string, unknown> } }>((cb) =>
    sdk.request({ url: `${business.url}/weapp/user`, login: true, ...cb }),
  );
  assert.equal(renewed.data.data['openId'], wx.sim.openid);
  assert.notEqual(wx.sim.code, codeBefore);

  assert.deepEqual(await roundTrip(sdk, `${business.url}/weapp/tunnel`), { who: 'server', word: 'hello' });
});

test('wafer-client-sdk 0.8.4: login, cached session via checkSession, tunnel', async () => {
  const { sdk, wx } = load('wafer-client-sdk', { nickName: 'Wafer One' });
  sdk.setLoginUrl(`${business.url}/wafer1/login`);
  const userInfo = await promise<Record<string, unknown>>((cb) => sdk.login(cb));
  assert.equal(userInfo['nickName'], 'Wafer One');
  const code = wx.sim.code;
  await promise((cb) => sdk.login(cb));
  assert.equal(wx.sim.code, code, 'a live session is reused after wx.checkSession, without wx.login');

  const reply = await promise<{ data: { user: Record<string, unknown> } }>((cb) =>
    sdk.request({ url: `${business.url}/wafer1/user`, login: true, ...cb }),
  );
  assert.equal(reply.data.user['openId'], wx.sim.openid);
  assert.deepEqual(await roundTrip(sdk, `${business.url}/wafer1/tunnel`), { who: 'server', word: 'hello' });
});

test('qcloud-weapp-client-sdk 0.7.4: login with the 2016 encryptData', async () => {
  const { sdk, wx } = load('qcloud-weapp-client-sdk', { nickName: 'Early Bird' });
  sdk.setLoginUrl(`${business.url}/wafer1/login`);
  const userInfo = await promise<Record<string, unknown>>((cb) => sdk.login(cb));
  assert.equal(userInfo['nickName'], 'Early Bird');
  const reply = await promise<{ data: { user: Record<string, unknown> } }>((cb) =>
    sdk.request({ url: `${business.url}/wafer1/user`, login: true, ...cb }),
  );
  assert.equal(reply.data.user['openId'], wx.sim.openid);
  assert.equal(reply.data.user['watermark'], undefined, 'decrypted from the legacy form');
});
