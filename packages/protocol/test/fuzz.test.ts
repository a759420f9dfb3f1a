/**
 * Property-based fuzzing of the decoders that read what a stranger sends: the tunnel frame
 * decoder, the IM frame decoder (with its nested payloads) and the Wafer tunnel API's signed body.
 * Random and mutated inputs never throw past the decoder: every input gets a value or a typed
 * error from the registry.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isErrorCode } from '../src/errors.js';
import { decodeContent, decodeProtocal, encodeProtocal, LoginInfo } from '../src/im.js';
import { decode, PushData, parseJson, SignedRequest } from '../src/schemas.js';
import { decodeFrame, encodeFrame, encodeMessage, framePackets } from '../src/tunnel-codec.js';
import { checkTunnelSignature, tunnelSignature } from '../src/wafer-signature.js';

const runs = { numRuns: 2000 };

/** A result is either a value or an error whose code is in the registry. */
function typed(result: { ok: true } | { ok: false; error: { code: unknown } }): boolean {
  return result.ok || isErrorCode(result.error.code);
}

/** Valid text mutated: characters replaced, cut, doubled, or random text spliced in. */
const mutated = (valid: fc.Arbitrary<string>) =>
  fc
    .tuple(
      valid,
      fc.nat(),
      fc.string({ maxLength: 8 }),
      fc.constantFrom('replace', 'cut', 'double', 'splice'),
    )
    .map(([text, at, noise, how]) => {
      const i = text.length === 0 ? 0 : at % text.length;
      if (how === 'replace') return text.slice(0, i) + noise + text.slice(i + noise.length);
      if (how === 'cut') return text.slice(0, i);
      if (how === 'double') return text.slice(0, i) + text.slice(i) + text.slice(i);
      return text.slice(0, i) + noise + text.slice(i);
    });

/** JSON-ish text: random JSON values, deeply nested arrays and objects among them. */
const jsonText = fc.oneof(
  fc.json({ maxDepth: 6 }),
  fc.nat({ max: 2000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.nat({ max: 2000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
);

test('tunnel frames: any text decodes to a frame or ERR_TUNNEL_FRAME, and frames round-trip', () => {
  const frameText = fc
    .tuple(fc.constantFrom(...framePackets), fc.option(fc.string(), { nil: undefined }))
    .map(([type, content]) => encodeFrame(type, content));
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), fc.string({ unit: 'binary' }), frameText, mutated(frameText)),
      (text) => {
        const result = decodeFrame(text);
        assert.ok(typed(result));
        if (!result.ok) assert.equal(result.error.code, 'ERR_TUNNEL_FRAME');
        else assert.equal(encodeFrame(result.value.type, result.value.content), text);
      },
    ),
    runs,
  );
});

test('IM frames: any text, JSON or a mutated frame decodes to a Protocal or ERR_IM_FRAME', () => {
  const frame = fc
    .record({
      type: fc.integer({ min: 0, max: 70 }),
      from: fc.string({ maxLength: 20 }),
      to: fc.string({ maxLength: 20 }),
      fp: fc.option(fc.uuid(), { nil: null }),
      QoS: fc.boolean(),
      dataContent: fc.option(fc.json({ maxDepth: 3 }), { nil: null }),
    })
    .map((value) => encodeProtocal(value));
  fc.assert(
    fc.property(fc.oneof(fc.string(), jsonText, frame, mutated(frame)), (text) => {
      const result = decodeProtocal(text);
      assert.ok(typed(result));
      if (!result.ok) assert.equal(result.error.code, 'ERR_IM_FRAME');
      else {
        assert.equal(typeof result.value.type, 'number');
        // The nested login payload of a frame goes through its own decoder, just as safely.
        const login = decodeContent(LoginInfo, result.value.dataContent);
        assert.ok(typed(login));
      }
    }),
    runs,
  );
});

test('signed tunnel API bodies: parse, shape, signature and packets never throw', () => {
  const key = 'fuzz-signature-key-0123456789abcdef';
  const signed = fc
    .array(
      fc.record({
        tunnelIds: fc.array(fc.string({ maxLength: 12 }), { maxLength: 5 }),
        type: fc.constantFrom('message', 'close'),
        content: fc.string().map((word) => encodeMessage('speak', { word })),
      }),
      { maxLength: 4 },
    )
    .map((packets) => {
      const data = JSON.stringify(packets);
      return JSON.stringify({ data, signature: tunnelSignature(data, key) });
    });
  fc.assert(
    fc.property(fc.oneof(fc.string(), jsonText, signed, mutated(signed)), (body) => {
      const json = parseJson(body);
      assert.ok(typed(json));
      if (!json.ok) return;
      const request = decode(SignedRequest, json.value);
      assert.ok(typed(request));
      if (!request.ok) return;
      const valid = checkTunnelSignature(request.value.data, request.value.signature, key);
      assert.equal(typeof valid, 'boolean');
      if (!valid) return;
      const data = parseJson(request.value.data);
      assert.ok(typed(data));
      if (data.ok) assert.ok(typed(decode(PushData, data.value)));
    }),
    runs,
  );
});
