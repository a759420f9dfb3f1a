import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DevStack } from '../src/stack.js';
import { collect, imPhone, range, sleep } from './client-im-fixture.js';
import { startTestStack, until } from './stack-fixture.js';

let stack: DevStack;
before(async () => {
  stack = await startTestStack();
});
after(() => stack.close());

test('500 numbered messages A→B arrive complete, in order, once, while B’s socket is killed three times', async () => {
  const a = await imPhone(stack);
  const b = await imPhone(stack, { deviceId: 'b-phone' });
  await Promise.all([a.im.connect(), b.im.connect()]);
  const errors = collect(a.im, 'error');
  const got: number[] = [];
  const kills = [100, 250, 400];
  b.im.on('message', (m) => {
    got.push(Number(m.content));
    if (kills[0] !== undefined && got.length >= kills[0]) {
      kills.shift();
      b.wx.sim.terminateSockets();
    }
  });

  const sent = await Promise.all(range(0, 500).map((n) => a.im.send(b.id, String(n))));
  assert.deepEqual(
    sent.map((s) => s.seq),
    range(1, 501),
    'accepted in send order',
  );
  await until(() => got.length >= 500, 'all 500', 20_000);
  await sleep(300);
  assert.deepEqual(got, range(0, 500), 'nothing lost, nothing twice, in order');
  assert.equal(kills.length, 0, 'the socket was killed three times');
  assert.ok(b.im.stats.logins >= 4, `B logged in again after each kill (${b.im.stats.logins})`);
  assert.deepEqual(errors, [], 'A stayed under the server’s rate limit');
  a.im.close();
  b.im.close();
});
