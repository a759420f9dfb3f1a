/**
 * The IM codec (`@hutong/protocol/im-frames`) against the golden vectors
 * (test/vectors/im-frames.json), which the client's tests read too: each text decodes to its
 * frame and payload, each side's builders and the server's encoder give the vectors' bytes
 * exactly, and each bad frame or payload is refused with its message. The plain checks accept
 * exactly what the TypeBox schemas of `@hutong/protocol/im` accept.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import * as schemas from '../src/im.js';
import {
  clientFrames,
  decodeErrorResponse,
  decodeKickoutInfo,
  decodeLoginInfo,
  decodeLoginResponse,
  decodeProtocal,
  encodeProtocal,
  type Protocal,
  parseContent,
  parseFrame,
  serverFrames,
} from '../src/im-frames.js';
import type { Result } from '../src/result.js';

interface ImVectors {
  frames: {
    name: string;
    by?: 'client' | 'server';
    build?: [string, ...unknown[]];
    with?: Record<string, unknown>;
    input?: Protocal & Record<string, unknown>;
    text: string;
    frame: Protocal & Record<string, unknown>;
    payload?: PayloadName;
    content?: Record<string, unknown>;
  }[];
  bad: { name: string; text: string; error: string }[];
  badPayloads: { name: string; payload: PayloadName; dataContent: string | null; error: string }[];
}
type PayloadName = keyof typeof decoders;

const vectors = JSON.parse(
  readFileSync(new URL('./vectors/im-frames.json', import.meta.url), 'utf8'),
) as ImVectors;

const decoders = {
  'login info': decodeLoginInfo,
  'login response': decodeLoginResponse,
  'error response': decodeErrorResponse,
  'kick-out info': decodeKickoutInfo,
} satisfies Record<string, (dataContent: string | null | undefined) => Result<unknown>>;

/** A builder of `builders` called with the vector's arguments. */
function call<T>(
  builders: Record<string, (...args: never[]) => T>,
  [name, ...args]: [string, ...unknown[]],
): T {
  const builder = builders[name];
  assert.ok(builder, `no builder ${name}`);
  return builder(...(args as never[]));
}

describe('IM frames (golden vectors)', () => {
  for (const v of vectors.frames) {
    test(`decodes: ${v.name}`, () => {
      assert.deepEqual(decodeProtocal(v.text), { ok: true, value: v.frame });
      assert.deepEqual(parseFrame(v.text), v.frame);
      assert.deepEqual(parseContent(v.frame) ?? null, v.content ?? null, 'parseContent');
      if (v.payload)
        assert.deepEqual(decoders[v.payload](v.frame.dataContent), { ok: true, value: v.content });
    });
    if (v.by === 'client') {
      test(`writes as @hutong/client: ${v.name}`, () => {
        assert.ok(v.build);
        assert.equal(call(clientFrames, v.build), v.text);
      });
    }
    if (v.by === 'server') {
      test(`writes as the server (Gson's order): ${v.name}`, () => {
        assert.equal(encodeProtocal(v.input ?? v.frame), v.text);
        if (v.build) assert.equal(encodeProtocal({ ...call(serverFrames, v.build), ...v.with }), v.text);
      });
    }
  }

  for (const v of vectors.bad) {
    test(`refuses: ${v.name}`, () => {
      const result = decodeProtocal(v.text);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.error.code, 'ERR_IM_FRAME');
        assert.equal(result.error.message, v.error);
      }
      assert.equal(parseFrame(v.text), undefined);
    });
  }

  for (const v of vectors.badPayloads) {
    test(`refuses the ${v.payload}: ${v.name}`, () => {
      const result = decoders[v.payload](v.dataContent);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.error.code, 'ERR_IM_FRAME');
        assert.equal(result.error.message, v.error);
      }
    });
  }

  test('every frame type both sides send and receive has a vector', () => {
    const types = (by: string | undefined) =>
      new Set(vectors.frames.filter((v) => v.by === by).map((v) => v.frame.type));
    assert.deepEqual(
      [...types('client')].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 61],
    );
    assert.deepEqual(
      [...types('server')].sort((a, b) => a - b),
      [2, 4, 50, 51, 52, 53, 54, 60, 61],
    );
    assert.ok(types(undefined).has(5), 'echo from a MobileIMSDK client');
  });

  test('login token and extra: at most 8192 characters', () => {
    for (const key of ['loginToken', 'extra']) {
      const info = (length: number) => JSON.stringify({ loginUserId: 'u1', [key]: 'x'.repeat(length) });
      assert.equal(decodeLoginInfo(info(8192)).ok, true, key);
      const refused = decodeLoginInfo(info(8193));
      assert.equal(refused.ok, false, key);
      if (!refused.ok)
        assert.equal(
          refused.error.message,
          `login info: ${key} must be a string of at most 8192 characters or null`,
        );
    }
  });
});

describe("the server's encoder", () => {
  /** The encoder's contract as plain JSON: Gson's keys (defaults filled), then the frame's others; nulls left out. */
  const reference = (frame: Record<string, unknown>): string => {
    const { bridge, type, dataContent, from, to, fp, QoS, typeu, sm, ...extra } = frame;
    const ordered: Record<string, unknown> = {
      bridge: bridge ?? false,
      type,
      dataContent,
      from: from ?? '-1',
      to: to ?? '-1',
      fp,
      QoS: QoS ?? false,
      typeu: typeu ?? -1,
      sm: sm ?? -1,
      ...extra,
    };
    for (const key of Object.keys(ordered)) if (ordered[key] === null) delete ordered[key];
    return JSON.stringify(ordered);
  };
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });

  test('writes any frame as its ordered JSON: defaults, nulls and absent keys left out, extra keys after', () => {
    const frame = fc.record(
      {
        type: fc.integer({ min: 0, max: 70 }),
        bridge: maybe(fc.option(fc.boolean())),
        dataContent: maybe(fc.option(fc.string())),
        from: maybe(fc.option(fc.string({ maxLength: 10 }))),
        to: maybe(fc.option(fc.string({ maxLength: 10 }))),
        fp: maybe(fc.option(fc.uuid())),
        QoS: maybe(fc.option(fc.boolean())),
        typeu: maybe(fc.option(fc.integer())),
        sm: maybe(fc.option(fc.double())),
        // Extension fields as the server adds them (sid, seq, conv, retryAfterMs …); names are
        // never integer-like, which JSON objects would move to the front.
        extra: fc.dictionary(
          fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !/^\d+$/.test(k)),
          fc.option(fc.jsonValue({ maxDepth: 2 })),
          { maxKeys: 4 },
        ),
      },
      { requiredKeys: ['type', 'extra'] },
    );
    fc.assert(
      fc.property(frame, ({ extra, ...known }) => {
        const value = { ...known, ...extra } as Protocal & Record<string, unknown>;
        const text = encodeProtocal(value);
        assert.equal(text, reference(value));
      }),
      { numRuns: 2000 },
    );
  });

  test('leaves out what JSON cannot write (undefined, functions), as JSON.stringify does', () => {
    const frame = { type: 3, dataContent: 'x', fn: () => 1, gone: undefined, n: 1 } as unknown as Protocal;
    assert.equal(
      encodeProtocal(frame as Protocal & Record<string, unknown>),
      '{"bridge":false,"type":3,"dataContent":"x","from":"-1","to":"-1","QoS":false,"typeu":-1,"sm":-1,"n":1}',
    );
  });
});

describe('the plain checks accept what the schemas accept', () => {
  const around = (...lengths: number[]) => fc.constantFrom(...lengths).map((n) => 'x'.repeat(n));
  const anyValue = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2.5, -0),
    fc.string({ maxLength: 8 }),
    around(0, 1, 127, 128, 129, 8192, 8193),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
  );
  /** JSON text; infinite numbers written as `1e400`, which parses back to Infinity. */
  const literal = (value: unknown): string => {
    if (typeof value !== 'number' || Number.isFinite(value)) return JSON.stringify(value);
    return value > 0 ? '1e400' : '-1e400';
  };
  /** A valid value with up to three keys replaced by any value or removed, as JSON text. */
  const near = (valid: Record<string, unknown>) =>
    fc
      .array(
        fc.tuple(fc.constantFrom(...Object.keys(valid), 'other'), fc.option(anyValue, { nil: undefined })),
        {
          maxLength: 3,
        },
      )
      .map((changes) => {
        const value = { ...valid };
        for (const [key, replaced] of changes) {
          if (replaced === undefined) delete value[key];
          else value[key] = replaced;
        }
        return `{${Object.entries(value)
          .map(([key, field]) => `${JSON.stringify(key)}:${literal(field)}`)
          .join(',')}}`;
      });

  const cases: [string, TSchema, (text: string) => Result<unknown>, Record<string, unknown>][] = [
    [
      'Protocal',
      schemas.Protocal,
      decodeProtocal,
      { type: 2, dataContent: 'x', from: 'u1', to: 'u2', fp: 'f', QoS: true, typeu: 1, bridge: false, sm: 5 },
    ],
    [
      'login info',
      schemas.LoginInfo,
      decodeLoginInfo,
      { loginUserId: 'u1', loginToken: 't', extra: null, firstLoginTime: 0 },
    ],
    ['login response', schemas.LoginResponse, decodeLoginResponse, { code: 0, firstLoginTime: 1 }],
    ['error response', schemas.ErrorResponse, decodeErrorResponse, { errorCode: 4, errorMsg: 'x' }],
    ['kick-out info', schemas.KickoutInfo, decodeKickoutInfo, { code: 1, reason: 'r' }],
  ];
  for (const [name, schema, decode, valid] of cases) {
    test(name, () => {
      fc.assert(
        fc.property(fc.oneof(near(valid), fc.json({ maxDepth: 2 })), (source) => {
          assert.equal(decode(source).ok, Value.Check(schema, JSON.parse(source)), source);
        }),
        { numRuns: 3000 },
      );
    });
  }
});
