/**
 * `@hutong/protocol/im`, the server's entry to the IM wire: its codec is `/im-frames` (the one the
 * client bundles), its schemas accept what the golden vectors (test/vectors/im-frames.json) say,
 * and `decodeContent` reads the framework payloads as their plain decoders do, other schemas
 * through TypeBox.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  decodeContent,
  decodeProtocal,
  ErrorResponse,
  encodeProtocal,
  imTypes,
  KickoutInfo,
  LoginInfo,
  LoginResponse,
  Protocal,
  serverFrames,
} from '../src/im.js';
import * as frames from '../src/im-frames.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors/im-frames.json', import.meta.url), 'utf8')) as {
  frames: { name: string; text: string; frame: Protocal; payload?: string; content?: unknown }[];
  bad: { name: string; text: string; error: string }[];
  badPayloads: { name: string; payload: string; dataContent: string | null; error: string }[];
};

const schemaOf: Record<
  string,
  typeof LoginInfo | typeof LoginResponse | typeof ErrorResponse | typeof KickoutInfo
> = {
  'login info': LoginInfo,
  'login response': LoginResponse,
  'error response': ErrorResponse,
  'kick-out info': KickoutInfo,
};

describe('@hutong/protocol/im', () => {
  test('its codec is the one of /im-frames', () => {
    assert.equal(decodeProtocal, frames.decodeProtocal);
    assert.equal(encodeProtocal, frames.encodeProtocal);
    assert.equal(serverFrames, frames.serverFrames);
  });

  test('the Protocal schema accepts every vector frame and refuses every bad one', () => {
    for (const v of vectors.frames) assert.ok(Value.Check(Protocal, JSON.parse(v.text)), v.name);
    for (const v of vectors.bad) {
      let value: unknown;
      try {
        value = JSON.parse(v.text);
      } catch {
        continue; // not JSON: refused before any schema
      }
      assert.equal(Value.Check(Protocal, value), false, v.name);
    }
  });

  for (const v of vectors.frames.filter((f) => f.payload)) {
    test(`decodeContent(${v.payload}): ${v.name}`, () => {
      const schema = schemaOf[v.payload!]!;
      assert.deepEqual(decodeContent(schema, v.frame.dataContent), { ok: true, value: v.content });
    });
  }

  for (const v of vectors.badPayloads) {
    test(`decodeContent refuses the ${v.payload}: ${v.name}`, () => {
      const result = decodeContent(schemaOf[v.payload]!, v.dataContent);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.error.code, 'ERR_IM_FRAME');
        assert.equal(result.error.message, v.error);
      }
    });
  }

  test('decodeContent checks any other schema with TypeBox', () => {
    const ReadReceipt = Type.Object({ conv: Type.String(), seq: Type.Integer() }, { title: 'read receipt' });
    const receipt = vectors.frames.find((v) => v.frame.type === 61 && v.content)!;
    assert.deepEqual(decodeContent(ReadReceipt, receipt.frame.dataContent), {
      ok: true,
      value: receipt.content,
    });
    const refused = decodeContent(ReadReceipt, '{"conv":"c:u1|u2","seq":"7"}');
    assert.equal(refused.ok, false);
    if (!refused.ok) {
      assert.equal(refused.error.code, 'ERR_IM_FRAME');
      assert.match(refused.error.message, /^Invalid read receipt at \/seq/);
    }
    const absent = decodeContent(ReadReceipt, null);
    assert.equal(absent.ok, false);
    if (!absent.ok)
      assert.equal(absent.error.message, 'dataContent must hold the read receipt as a JSON string');
  });

  test('server frame factories', () => {
    const echo = serverFrames.echo({ type: imTypes.echo, dataContent: 'x', from: 'u1', to: '0' });
    assert.equal(echo.type, imTypes.echoResponse);
    assert.deepEqual(serverFrames.ack('u2', 'u1', 'fp-1'), {
      type: 4,
      dataContent: 'fp-1',
      from: 'u2',
      to: 'u1',
    });
    assert.match(
      encodeProtocal({ ...serverFrames.pong('u1'), seq: 7 }),
      /"sm":-1,"seq":7\}$/,
      'extensions follow',
    );
  });
});
