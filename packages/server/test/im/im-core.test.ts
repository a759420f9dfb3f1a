/** The IM core's pure parts: login arbitration and a device's resend time. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WebSocket } from 'ws';
import { arbitrate, arbitrateRemote, type Incumbent } from '../../src/im/im-arbitration.js';
import { ImDevice } from '../../src/im/im-device.js';
import { TokenBucket } from '../../src/im/im-limits.js';

const device = (id: string, firstLoginTime: number): Incumbent => ({ device: id, firstLoginTime });
const present = (...devices: Incumbent[]) => new Map(devices.map((d) => [d.device, d]));
const perDevice = { singleDevice: false, maxDevicesPerUser: 2 };
const single = { singleDevice: true, maxDevicesPerUser: 10 };

describe('login arbitration', () => {
  test('a first login of a new device is admitted; past the device limit it is refused', () => {
    const phone = device('phone', 100);
    assert.deepEqual(arbitrate({ device: 'pc', clientFirstLoginTime: 0 }, present(phone), perDevice), {
      kind: 'admit',
      kick: [],
      drop: [],
    });
    assert.deepEqual(
      arbitrate({ device: 'pad', clientFirstLoginTime: 0 }, present(phone, device('pc', 50)), perDevice),
      { kind: 'refuse' },
    );
  });

  test('the same device: a newer login kicks, the same app reconnecting drops silently, a stale one is kicked itself', () => {
    const phone = device('phone', 100);
    const users = present(phone, device('pc', 50));
    assert.deepEqual(arbitrate({ device: 'phone', clientFirstLoginTime: 0 }, users, perDevice), {
      kind: 'admit',
      kick: [phone],
      drop: [],
    });
    assert.deepEqual(arbitrate({ device: 'phone', clientFirstLoginTime: 200 }, users, perDevice), {
      kind: 'admit',
      kick: [phone],
      drop: [],
    });
    assert.deepEqual(arbitrate({ device: 'phone', clientFirstLoginTime: 100 }, users, perDevice), {
      kind: 'admit',
      kick: [],
      drop: [phone],
    });
    assert.deepEqual(arbitrate({ device: 'phone', clientFirstLoginTime: 99 }, users, perDevice), {
      kind: 'stale',
    });
    // A rival on the same device never counts against the device limit.
    assert.equal(arbitrate({ device: 'phone', clientFirstLoginTime: 0 }, users, perDevice).kind, 'admit');
  });

  test('single device: every connection of the user is a rival', () => {
    const a = device('default', 100);
    assert.deepEqual(arbitrate({ device: 'default', clientFirstLoginTime: 0 }, present(a), single), {
      kind: 'admit',
      kick: [a],
      drop: [],
    });
  });

  test('a login on another node: kick, drop or keep this node’s connection', () => {
    const here = device('phone', 100);
    assert.equal(arbitrateRemote({ device: 'phone', clientFirstLoginTime: 0 }, here, false), 'kick');
    assert.equal(arbitrateRemote({ device: 'phone', clientFirstLoginTime: 150 }, here, false), 'kick');
    assert.equal(arbitrateRemote({ device: 'phone', clientFirstLoginTime: 100 }, here, false), 'drop');
    assert.equal(arbitrateRemote({ device: 'phone', clientFirstLoginTime: 50 }, here, false), 'keep');
    assert.equal(arbitrateRemote({ device: 'pc', clientFirstLoginTime: 0 }, here, false), 'keep');
    assert.equal(arbitrateRemote({ device: 'pc', clientFirstLoginTime: 0 }, here, true), 'kick');
  });
});

describe('a device’s resend time', () => {
  const newDevice = () =>
    new ImDevice(
      {} as WebSocket,
      { userId: 'u', token: 't', extra: null },
      'default',
      1,
      0,
      { messages: new TokenBucket(1, 1), reads: new TokenBucket(1, 1) },
      undefined,
    );
  const sendAndAck = (d: ImDevice, iseq: number, sentAt: number, ackedAt: number, tries = 0) => {
    d.inFlight.set(`k${iseq}`, { iseq, frame: '', sentAt, tries });
    assert.ok(d.acknowledge(`k${iseq}`, ackedAt));
  };

  test('the floor until a round trip is measured; doubled per resend up to the ceiling', () => {
    const d = newDevice();
    assert.equal(d.resendAfter(0, 3000, 60_000), 3000);
    assert.equal(d.resendAfter(1, 3000, 60_000), 6000);
    assert.equal(d.resendAfter(2, 3000, 60_000), 12_000);
    assert.equal(d.resendAfter(6, 3000, 60_000), 60_000);
  });

  test('a device behind a growing queue gets a longer resend time than the floor; a fast one keeps the floor', () => {
    const slow = newDevice();
    let iseq = 0;
    for (const rtt of [2000, 4000, 6000, 8000]) sendAndAck(slow, ++iseq, 0, rtt);
    assert.ok(slow.srtt! > 2000, `srtt ${slow.srtt}`);
    assert.ok(slow.resendAfter(0, 3000, 60_000) > 8000, `${slow.resendAfter(0, 3000, 60_000)} ms`);
    const fast = newDevice();
    for (let i = 1; i <= 10; i += 1) sendAndAck(fast, i, 0, 5);
    assert.equal(fast.resendAfter(0, 3000, 60_000), 3000);
  });

  test('a resent message’s ACK is not a round trip sample (Karn); ACKs move the cursor over the acknowledged prefix', () => {
    const d = newDevice();
    sendAndAck(d, 2, 0, 50_000, 1);
    assert.equal(d.srtt, undefined);
    assert.equal(d.cursor, 0, 'iseq 1 is not acknowledged yet');
    sendAndAck(d, 1, 0, 10);
    assert.equal(d.srtt, 10);
    assert.equal(d.cursor, 2);
  });
});
