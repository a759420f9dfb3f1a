import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { errorCodes, errorRegistry, fromWafer1Code, HutongError } from '../src/errors.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const rows = new Map(
  [...doc.matchAll(/^\| `(ERR_[A-Z0-9_]+)` \| (\d+) \| (yes|no) \| (\d+) \|/gm)].map((m) => [
    m[1]!,
    { status: Number(m[2]), retry: m[3] === 'yes', wafer1: Number(m[4]) },
  ]),
);

test('docs/errors.md lists exactly the codes of the registry', () => {
  assert.deepEqual([...rows.keys()].sort(), [...errorCodes].sort());
});

test('docs/errors.md agrees with the registry on status, retry and Wafer 1 code', () => {
  for (const code of errorCodes) {
    const { status, retry, wafer1 } = errorRegistry[code];
    assert.deepEqual(rows.get(code), { status, retry, wafer1 }, code);
  }
});

test('HutongError carries the registry facts and a cause', () => {
  const cause = new Error('boom');
  const error = new HutongError('ERR_STORE_UNAVAILABLE', undefined, { cause });
  assert.equal(error.status, 503);
  assert.equal(error.retry, true);
  assert.equal(error.wafer1Code, 1001);
  assert.equal(error.cause, cause);
  assert.deepEqual(error.toJSON(), {
    code: 'ERR_STORE_UNAVAILABLE',
    message: 'The store is unavailable',
  });
});

test('Wafer 1 return codes map back to registry codes', () => {
  assert.equal(fromWafer1Code(60011), 'ERR_SESSION_INVALID');
  assert.equal(fromWafer1Code(60012), 'ERR_SESSION_INVALID');
  assert.equal(fromWafer1Code(40029), 'ERR_WX_CODE_INVALID');
  assert.equal(fromWafer1Code(60021), 'ERR_USER_DATA_INVALID');
  assert.equal(fromWafer1Code(123456), 'ERR_INTERNAL');
});
