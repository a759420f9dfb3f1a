/**
 * Property-based checks of the signed-body scanner (tunnel/signed-envelope.ts), which steps over
 * what it does not read instead of parsing it: for any JSON object it reads the same fields as
 * JSON.parse, and any other text gets a typed error, never an exception of another kind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isHutongError } from '@hutong/protocol';
import fc from 'fast-check';
import { parseSignedEnvelope, SIGNED_FIELDS } from '../src/tunnel/signed-envelope.js';

const field = fc.constantFrom(...SIGNED_FIELDS, 'other', 'extra', 'd\u0061ta');
const envelope = fc.dictionary(
  field,
  fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.json({ maxDepth: 4 }).map((j) => JSON.parse(j)),
  ),
  { maxKeys: 6 },
);

test('for every JSON object, the read string fields are what JSON.parse sees', () => {
  fc.assert(
    fc.property(envelope, fc.constantFrom(0, 2), (value, indent) => {
      const text = JSON.stringify(value, null, indent);
      const parsed = JSON.parse(text) as Record<string, unknown>;
      let fields: Record<string, string>;
      try {
        fields = parseSignedEnvelope(text);
      } catch (error) {
        // Only a read field holding an object or array is refused, with a typed error.
        assert.ok(isHutongError(error), String(error));
        assert.equal(error.code, 'ERR_BAD_REQUEST');
        assert.ok([...SIGNED_FIELDS].some((k) => typeof parsed[k] === 'object' && parsed[k] !== null));
        return;
      }
      for (const key of SIGNED_FIELDS) {
        const expected = parsed[key];
        if (typeof expected === 'string') assert.equal(fields[key], expected, key);
        else if (expected === undefined) assert.equal(fields[key], undefined, key);
      }
    }),
    { numRuns: 3000 },
  );
});

test('any text, and mutated envelopes, get a value or a typed error', () => {
  const mutated = fc
    .tuple(
      envelope.map((v) => JSON.stringify(v)),
      fc.nat(),
      fc.string({ maxLength: 4 }),
    )
    .map(
      ([text, at, noise]) =>
        text.slice(0, at % (text.length + 1)) + noise + text.slice(at % (text.length + 1)),
    );
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), mutated), (text) => {
      try {
        parseSignedEnvelope(text);
      } catch (error) {
        assert.ok(isHutongError(error), `${String(error)} for ${JSON.stringify(text)}`);
      }
    }),
    { numRuns: 5000 },
  );
});
