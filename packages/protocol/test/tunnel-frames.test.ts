/**
 * The tunnel codec against the golden vectors (test/vectors/tunnel-frames.json), which the
 * client's tests read too: each text decodes to its value, and each value encodes to its text.
 * The close-code ranges are checked here as well.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  closeAdvice,
  closeCodes,
  decodeAck,
  decodeEmit,
  decodeFrame,
  decodeMessage,
  encodeAck,
  encodeEmit,
  encodeFrame,
  isRetryableClose,
  parseFrame,
} from '../src/tunnel-codec.js';

interface Vector {
  text: string;
  frame: { type: Parameters<typeof encodeFrame>[0]; content?: string } | null;
  message?: unknown;
  emit?: { id: number; message: string } | null;
  ack?: { id: number; errorCode?: string } | null;
  encode?: boolean;
}
const { frames } = JSON.parse(
  readFileSync(new URL('./vectors/tunnel-frames.json', import.meta.url), 'utf8'),
) as { frames: Vector[] };

describe('tunnel frames (golden vectors)', () => {
  for (const vector of frames) {
    test(JSON.stringify(vector.text), () => {
      assert.deepEqual(parseFrame(vector.text) ?? null, vector.frame);
      const decoded = decodeFrame(vector.text);
      if (vector.frame === null) {
        assert.equal(decoded.ok, false);
        if (!decoded.ok) assert.equal(decoded.error.code, 'ERR_TUNNEL_FRAME');
        return;
      }
      assert.deepEqual(decoded, { ok: true, value: vector.frame });
      const content = vector.frame.content ?? '';
      if ('message' in vector) assert.deepEqual(decodeMessage(content) ?? null, vector.message);
      if ('emit' in vector) assert.deepEqual(decodeEmit(content) ?? null, vector.emit);
      if ('ack' in vector) {
        assert.deepEqual(decodeAck(vector.frame.type as 'ack' | 'nack', content) ?? null, vector.ack);
      }
      if (!vector.encode) return;
      assert.equal(encodeFrame(vector.frame.type, vector.frame.content), vector.text);
      if (vector.emit) assert.equal(encodeEmit(vector.emit.id, vector.emit.message), vector.text);
      if (vector.ack) assert.equal(encodeAck(vector.ack.id, vector.ack.errorCode), vector.text);
    });
  }
});

describe('close codes', () => {
  test('each range advises one thing, known codes or not', () => {
    for (const code of [1000, 1001, 1006, 1009, 4000, 4001, 4008, 4029, 4099, 4123])
      assert.equal(closeAdvice(code), 'reconnect', String(code));
    for (const code of [4400, 4401, 4440, 4499]) {
      assert.equal(closeAdvice(code), 'stop', String(code));
      assert.equal(isRetryableClose(code), false);
    }
    for (const code of [4500, 4503, 4599]) {
      assert.equal(closeAdvice(code), 'reconnect-now', String(code));
      assert.equal(isRetryableClose(code), true);
    }
  });

  test('every named code sits in the range its meaning needs', () => {
    assert.equal(closeAdvice(closeCodes.draining), 'reconnect-now');
    assert.equal(closeAdvice(closeCodes.loggedOut), 'stop');
    assert.equal(closeAdvice(closeCodes.sessionExpired), 'stop');
    for (const name of ['noPong', 'heartbeatTimeout', 'slowConsumer', 'preLoginFlood', 'goingAway'] as const)
      assert.equal(closeAdvice(closeCodes[name]), 'reconnect', name);
  });
});
