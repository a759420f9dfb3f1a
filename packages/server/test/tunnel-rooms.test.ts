import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TunnelRooms } from '../src/tunnel/tunnel-rooms.js';
import { connect, recorder, startTunnels, type TunnelFixture, until } from './tunnel-fixtures.js';

describe('rooms', () => {
  let f: TunnelFixture;
  before(async () => {
    f = await startTunnels();
  });
  after(() => f.close());

  const open = async () => {
    const { tunnelId, connectUrl } = f.hub.allocate(recorder().receiver);
    const c = await connect(connectUrl);
    await c.waitFor((x) => x.startsWith('timeout:'));
    return { ...c, tunnelId };
  };

  test('join, broadcast to a room without listing ids, presence, leave, and leaving on close', async () => {
    const [a, b, c] = await Promise.all([open(), open(), open()]);
    const join = await f.api('/rooms', {
      op: 'join',
      room: 'lobby',
      tunnelIds: [a.tunnelId, b.tunnelId, 'ghost'],
    });
    assert.deepEqual(join.body, { code: 0, message: 'OK', data: { invalidTunnelIds: ['ghost'] } });
    assert.deepEqual((await f.api('/rooms', { op: 'presence', rooms: ['lobby', 'empty'] })).body.data, {
      presence: { lobby: 2, empty: 0 },
    });
    const content = JSON.stringify({ type: 'news', content: 1 });
    const pushed = await f.api('/ws/push', [
      { tunnelIds: [c.tunnelId], rooms: ['lobby'], type: 'message', content },
    ]);
    assert.deepEqual(pushed.body.data.invalidTunnelIds, []);
    for (const x of [a, b, c]) await x.waitFor((frame) => frame === `message:${content}`);

    await f.api('/rooms', { op: 'leave', room: 'lobby', tunnelIds: [b.tunnelId] });
    assert.equal(f.hub.rooms.count('lobby'), 1);
    a.ws.close();
    await until(() => f.hub.rooms.count('lobby') === 0, 'the lobby empty', 2000);
    const again = JSON.stringify({ type: 'news', content: 2 });
    await f.api('/ws/push', [{ tunnelIds: [], rooms: ['lobby'], type: 'message', content: again }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(b.frames.includes(`message:${again}`), false, 'b left the room');
    b.ws.close();
    c.ws.close();
  });

  test('bad room requests are refused', async () => {
    for (const data of [
      { op: 'join', room: '', tunnelIds: [] },
      { op: 'dance' },
      { op: 'presence', rooms: 'lobby' },
    ]) {
      const reply = await f.api('/rooms', data);
      assert.equal(reply.status, 400, JSON.stringify(data));
      assert.equal(reply.body.error, 'ERR_BAD_REQUEST');
    }
  });

  test('limits: room name length and rooms per tunnel', () => {
    const rooms = new TunnelRooms({ roomsPerTunnel: 2, maxRoomName: 4 });
    rooms.join('a', 't');
    rooms.join('b', 't');
    rooms.join('b', 't');
    assert.throws(() => rooms.join('c', 't'), { code: 'ERR_TUNNEL_LIMIT' });
    assert.throws(() => rooms.join('toolong', 'u'), { code: 'ERR_BAD_REQUEST' });
    assert.deepEqual(rooms.roomsOf('t').sort(), ['a', 'b']);
    rooms.leaveAll('t');
    assert.equal(rooms.count('a') + rooms.count('b'), 0);
  });
});
