import { HutongError } from '@hutong/protocol';

/**
 * Signature before body: the parser of the signed tunnel API bodies (`{data, signature, …}`).
 * Only the envelope's string fields that are read (`data`, `signature`, `tcId`, `tcKey`,
 * `dataEncode`) are decoded; every other top-level value is stepped over in one linear scan
 * without being built, so a body full of nesting or keys costs a scan, not a parse. `data`, the
 * signed JSON text, is parsed by the route only after its signature checked out.
 */
export const SIGNED_FIELDS: ReadonlySet<string> = new Set([
  'data',
  'signature',
  'tcId',
  'tcKey',
  'dataEncode',
]);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const SCALAR = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)$/;

const notJson = (): HutongError => new HutongError('ERR_NOT_JSON', 'The body is not a JSON object');

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i += 1;
  }
}

/** The index after the string token starting at `i` (a quote). */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j += 1) {
    const c = text.charCodeAt(j);
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) j += 1;
    else if (c < 0x20) throw notJson();
  }
  throw notJson();
}

/** The index after the JSON value starting at `i`, found without building it. */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return stringEnd(text, i);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    for (let j = i; j < text.length; j += 1) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) j = stringEnd(text, j) - 1;
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth += 1;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        depth -= 1;
        if (depth === 0) return j + 1;
      }
    }
    throw notJson();
  }
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || c <= 0x20) break;
    j += 1;
  }
  if (!SCALAR.test(text.slice(i, j))) throw notJson();
  return j;
}

function decodeString(token: string): string {
  try {
    return JSON.parse(token) as string;
  } catch {
    throw notJson();
  }
}

/** A read field's value: a string, or a scalar coerced as Fastify's validator would (null → ''). */
function fieldValue(key: string, token: string): string {
  const first = token.charCodeAt(0);
  if (first === QUOTE) return decodeString(token);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    throw new HutongError('ERR_BAD_REQUEST', `${key} must be a string`);
  }
  return token === 'null' ? '' : token;
}

/**
 * The envelope's read fields, as strings. Not an object, or malformed where it was scanned:
 * ERR_NOT_JSON; a read field holding an object or array: ERR_BAD_REQUEST.
 */
export function parseSignedEnvelope(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_OBJECT) throw notJson();
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === CLOSE_OBJECT) {
    if (skipSpace(text, i + 1) !== text.length) throw notJson();
    return fields;
  }
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) throw notJson();
    const keyEnd = stringEnd(text, i);
    // Read field names are short: a long key is stepped over undecoded, an escaped one decoded.
    let key: string | undefined;
    if (keyEnd - i <= 32) {
      key = text.slice(i + 1, keyEnd - 1);
      if (key.includes('\\')) key = decodeString(text.slice(i, keyEnd));
    }
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) throw notJson();
    i = skipSpace(text, i + 1);
    const end = valueEnd(text, i);
    if (key !== undefined && SIGNED_FIELDS.has(key)) {
      fields[key] = fieldValue(key, text.slice(i, end));
    }
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === COMMA) i = skipSpace(text, i + 1);
    else if (c === CLOSE_OBJECT) break;
    else throw notJson();
  }
  if (skipSpace(text, i + 1) !== text.length) throw notJson();
  return fields;
}
