import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createWx, type RequestSuccess, type SimWx } from '@hutong/wechat-sim';
import { closedPort, once, startEchoServer, startWsEcho } from './wx-fixtures.js';

type Echo = { method: string; query: Record<string, string>; headers: Record<string, string>; body: unknown };

describe('wx.request', () => {
  let echo: Awaited<ReturnType<typeof startEchoServer>>;
  let wx: SimWx;
  const call = (options: Parameters<SimWx['request']>[0]) =>
    new Promise<RequestSuccess | { errMsg: string }>((resolve) => {
      wx.request({ ...options, complete: resolve });
    });

  before(async () => {
    echo = await startEchoServer();
    wx = createWx({ baseUrl: 'http://127.0.0.1:1' });
  });
  after(() => echo.close());

  test('GET turns data into a query string; headers go as given, undefined ones dropped', async () => {
    const res = (await call({
      url: `${echo.url}/echo?x=1`,
      data: { a: 'b c', n: 2, o: { k: 1 } },
      header: { 'X-WX-Skey': 'abc', 'X-WX-IV': undefined },
    })) as RequestSuccess;
    assert.equal(res.errMsg, 'request:ok');
    assert.equal(res.statusCode, 200);
    const body = res.data as Echo;
    assert.deepEqual(body.query, { x: '1', a: 'b c', n: '2', o: '{"k":1}' });
    assert.equal(body.headers['x-wx-skey'], 'abc');
    assert.equal('x-wx-iv' in body.headers, false);
    assert.equal(body.headers['content-type'], 'application/json');
    assert.match(String(res.header['content-type']), /application\/json/);
  });

  test('POST sends JSON by default and a form when the content-type says so', async () => {
    const json = (await call({
      url: `${echo.url}/echo`,
      method: 'post',
      data: { a: [1, 2] },
    })) as RequestSuccess;
    assert.deepEqual((json.data as Echo).body, { a: [1, 2] });
    assert.equal((json.data as Echo).method, 'POST');
    const form = (await call({
      url: `${echo.url}/echo`,
      method: 'PUT',
      data: { a: 'x y', b: 1 },
      header: { 'content-type': 'application/x-www-form-urlencoded' },
    })) as RequestSuccess;
    assert.equal((form.data as Echo).body, 'a=x%20y&b=1');
  });

  test("dataType 'json' keeps a non-JSON body as text; other dataTypes never parse; arraybuffer", async () => {
    const text = (await call({ url: `${echo.url}/text` })) as RequestSuccess;
    assert.equal(text.data, 'not { json');
    const raw = (await call({ url: `${echo.url}/echo`, dataType: 'text' })) as RequestSuccess;
    assert.equal(typeof raw.data, 'string');
    const bytes = (await call({ url: `${echo.url}/text`, responseType: 'arraybuffer' })) as RequestSuccess;
    assert.ok(bytes.data instanceof ArrayBuffer);
    assert.equal(Buffer.from(bytes.data).toString(), 'not { json');
    const missing = (await call({ url: `${echo.url}/nowhere` })) as RequestSuccess;
    assert.equal(missing.statusCode, 404, 'an HTTP error status is still a success callback');
  });

  test('no cookie jar: set-cookie is reported, never sent back', async () => {
    const first = (await call({ url: `${echo.url}/cookie` })) as RequestSuccess;
    assert.deepEqual(first.cookies, ['a=1', 'b=2']);
    const next = (await call({ url: `${echo.url}/echo` })) as RequestSuccess;
    assert.equal((next.data as Echo).headers['cookie'], undefined);
  });

  test('failures: abort, timeout, bad url, refused connection', async () => {
    const task = wx.request({ url: `${echo.url}/slow` });
    const aborted = new Promise<{ errMsg: string }>((resolve) => {
      const t = wx.request({ url: `${echo.url}/slow`, fail: resolve });
      t.abort();
    });
    task.abort();
    assert.deepEqual(await aborted, { errMsg: 'request:fail abort' });
    assert.deepEqual(await call({ url: `${echo.url}/slow`, timeout: 50 }), {
      errMsg: 'request:fail timeout',
    });
    assert.match((await call({ url: '/relative' })).errMsg, /^request:fail invalid url/);
    assert.match(
      (await call({ url: `http://127.0.0.1:${await closedPort()}/` })).errMsg,
      /^request:fail .*ECONNREFUSED/,
    );
  });

  test('at most 10 requests in flight; the rest wait their turn', async () => {
    const all = Array.from({ length: 13 }, () => call({ url: `${echo.url}/gated` }));
    while (echo.inFlight() < 10) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(echo.inFlight(), 10);
    echo.open();
    const results = await Promise.all(all);
    assert.ok(results.every((r) => r.errMsg === 'request:ok'));
    assert.equal(echo.peak(), 10);
  });
});

describe('sockets', () => {
  let server: Awaited<ReturnType<typeof startWsEcho>>;
  before(async () => {
    server = await startWsEcho();
  });
  after(() => server.close());

  test('SocketTask: open, text and binary echo, close with code and reason', async () => {
    const wx = createWx({ baseUrl: 'http://127.0.0.1:1' });
    let connected: { errMsg: string } | undefined;
    const task = wx.connectSocket({
      url: server.url,
      header: { 'X-WX-Skey': 's1' },
      success: (result) => {
        connected = result;
      },
    });
    const messages: Array<string | ArrayBuffer> = [];
    task.onMessage(({ data }) => messages.push(data));
    const opened = await once<{ header: Record<string, string> }>((cb) => task.onOpen(cb));
    assert.deepEqual(connected, { errMsg: 'connectSocket:ok' });
    assert.equal(opened.header['upgrade'], 'websocket');
    assert.equal(server.headers.at(-1)?.['x-wx-skey'], 's1');

    assert.deepEqual(await task.send({ data: 'hello' }), { errMsg: 'send:ok' });
    await task.send({ data: new Uint8Array([1, 2, 3]).buffer });
    while (messages.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(messages[0], 'hello');
    assert.deepEqual([...new Uint8Array(messages[1] as ArrayBuffer)], [1, 2, 3]);

    const closed = once<{ code: number; reason: string }>((cb) => task.onClose(cb));
    await task.close({ code: 1000, reason: 'done' });
    assert.deepEqual(await closed, { code: 1000, reason: 'done' });
    await assert.rejects(task.send({ data: 'late' }), { errMsg: 'send:fail WebSocket is not connected' });
  });

  test('server close reaches onClose as {code, reason}; errors as {errMsg}', async () => {
    const wx = createWx({ baseUrl: 'http://127.0.0.1:1' });
    const task = wx.connectSocket({ url: server.url });
    await once((cb) => task.onOpen(cb));
    const closed = once<{ code: number; reason: string }>((cb) => task.onClose(cb));
    await task.send({ data: 'bye' });
    assert.deepEqual(await closed, { code: 4000, reason: 'bye' });

    const refused = wx.connectSocket({ url: `ws://127.0.0.1:${await closedPort()}` });
    const error = await once<{ errMsg: string }>((cb) => refused.onError(cb));
    assert.match(error.errMsg, /ECONNREFUSED/);
    // Closing before the handshake ends is a plain close, not an error.
    const early = wx.connectSocket({ url: server.url });
    const earlyErrors: string[] = [];
    early.onError(({ errMsg }) => earlyErrors.push(errMsg));
    const earlyClosed = once<{ code: number }>((cb) => early.onClose(cb));
    await early.close();
    assert.equal(typeof (await earlyClosed).code, 'number');
    assert.deepEqual(earlyErrors, []);

    const bad = wx.connectSocket({ url: 'not a url' });
    assert.match((await once<{ errMsg: string }>((cb) => bad.onError(cb))).errMsg, /^connectSocket:fail/);
  });

  test('at most 5 sockets at once', async () => {
    const wx = createWx({ baseUrl: 'http://127.0.0.1:1' });
    const tasks = Array.from({ length: 5 }, () => wx.connectSocket({ url: server.url }));
    await Promise.all(tasks.map((task) => once((cb) => task.onOpen(cb))));
    const sixth = await new Promise<{ errMsg: string }>((resolve) => {
      wx.connectSocket({ url: server.url, fail: resolve });
    });
    assert.deepEqual(sixth, { errMsg: 'connectSocket:fail exceed max task count' });
    const closes = tasks.map((task) => once((cb) => task.onClose(cb)));
    wx.sim.terminateSockets();
    await Promise.all(closes);
  });

  test('legacy global API follows the latest socket only', async () => {
    const wx = createWx({ baseUrl: 'http://127.0.0.1:1' });
    const events: string[] = [];
    wx.onSocketOpen(() => events.push('open'));
    wx.onSocketMessage(({ data }) => events.push(`message ${String(data)}`));
    wx.onSocketClose(({ code, reason }) => events.push(`close ${code} ${reason}`));
    wx.onSocketError(({ errMsg }) => events.push(`error ${errMsg}`));
    await assert.rejects(wx.sendSocketMessage({ data: 'x' }), {
      errMsg: 'sendSocketMessage:fail WebSocket is not connected',
    });

    const first = wx.connectSocket({ url: server.url });
    await once((cb) => first.onOpen(cb));
    const echoed = once((cb) => first.onMessage(cb));
    await wx.sendSocketMessage({ data: 'one' });
    await echoed;
    const firstClosed = once((cb) => first.onClose(cb));
    // Reconnect as Wafer does: close the old socket and open a new one in the same turn; the
    // old socket's close then belongs to a superseded socket and stays off the global listeners.
    void wx.closeSocket();
    const second = wx.connectSocket({ url: server.url });
    const secondOpen = once((cb) => second.onOpen(cb));
    await firstClosed;
    await secondOpen;
    const echoed2 = once((cb) => second.onMessage(cb));
    await wx.sendSocketMessage({ data: 'two' });
    await echoed2;
    const secondClosed = once((cb) => second.onClose(cb));
    await wx.closeSocket({ code: 4001, reason: 'leaving' });
    await secondClosed;
    assert.deepEqual(events, ['open', 'message one', 'open', 'message two', 'close 4001 leaving']);
  });
});
