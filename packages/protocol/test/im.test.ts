import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  decodeContent,
  decodeProtocal,
  encodeProtocal,
  imKickoutCodes,
  imTypes,
  LoginInfo,
  type Protocal,
  serverFrames,
} from '../src/im.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors/im-frames.json', import.meta.url), 'utf8')) as {
  decode: { name: string; text: string; frame: Record<string, unknown>; content?: Record<string, unknown> }[];
  reject: { name: string; text: string }[];
  rejectLoginInfo: { name: string; dataContent: string | null }[];
  encode: { name: string; frame: Protocal; text: string }[];
};

describe('MobileIMSDK frames (golden vectors)', () => {
  for (const v of vectors.decode) {
    test(`decodes: ${v.name}`, () => {
      const result = decodeProtocal(v.text);
      assert.ok(result.ok, result.ok ? '' : result.error.message);
      for (const [key, value] of Object.entries(v.frame))
        assert.deepEqual(result.value[key as keyof Protocal], value, key);
      if (v.content) {
        const content = decodeContent(LoginInfo, result.value.dataContent);
        assert.ok(content.ok);
        assert.deepEqual(content.value, v.content);
      }
    });
  }

  for (const v of vectors.reject) {
    test(`refuses with ERR_IM_FRAME: ${v.name}`, () => {
      const result = decodeProtocal(v.text);
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.error.code, 'ERR_IM_FRAME');
    });
  }

  for (const v of vectors.rejectLoginInfo) {
    test(`refuses login info: ${v.name}`, () => {
      const result = decodeContent(LoginInfo, v.dataContent);
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.error.code, 'ERR_IM_FRAME');
    });
  }

  for (const v of vectors.encode) {
    test(`encodes as MobileIMSDK's server: ${v.name}`, () => {
      const text = encodeProtocal(v.frame);
      assert.deepEqual(JSON.parse(text), JSON.parse(v.text));
      assert.deepEqual(Object.keys(JSON.parse(text)), Object.keys(JSON.parse(v.text)), 'Gson key order');
    });
  }

  test('server frame factories build what the vectors hold', () => {
    const ok = serverFrames.loginResponse('u1', { code: 0, firstLoginTime: 1700000000000 });
    assert.equal(encodeProtocal(ok), vectors.encode[0]!.text);
    assert.equal(encodeProtocal(serverFrames.pong('u1')), vectors.encode[1]!.text);
    assert.equal(
      encodeProtocal(serverFrames.kickout('u1', imKickoutCodes.duplicateLogin)),
      vectors.encode[4]!.text,
    );
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
