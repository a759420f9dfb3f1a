/** The shared test kit's own helpers: `until`, `eventually` and the clocks. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually, ManualClock, systemClock, until } from '@hutong/core/testing';

describe('until', () => {
  test('resolves once the check holds, sync or async', async () => {
    let calls = 0;
    await until(() => ++calls >= 3, 'the third call', 1000);
    assert.equal(calls, 3);
    let asyncCalls = 0;
    await until(async () => ++asyncCalls >= 2, { what: 'the second call', timeoutMs: 1000, intervalMs: 1 });
    assert.equal(asyncCalls, 2);
  });

  test('rejects after the bound, naming what it waited for and for how long', async () => {
    const started = performance.now();
    await assert.rejects(
      until(() => false, 'the impossible', 40),
      /^Error: timed out after \d+ ms waiting for the impossible$/,
    );
    assert.ok(performance.now() - started >= 40);
    await assert.rejects(
      until(() => 0, { timeoutMs: 0 }),
      /waiting for condition$/,
    );
  });

  test('a check that throws rejects at once', async () => {
    const started = performance.now();
    await assert.rejects(
      until(
        () => {
          throw new Error('broken check');
        },
        'never',
        5000,
      ),
      /broken check/,
    );
    assert.ok(performance.now() - started < 1000);
  });
});

describe('eventually', () => {
  test('retries until fn stops throwing, and returns its value', async () => {
    let calls = 0;
    const value = await eventually(
      () => {
        calls += 1;
        assert.ok(calls >= 3, `call ${calls}`);
        return calls;
      },
      { timeoutMs: 1000, intervalMs: 1 },
    );
    assert.equal(value, 3);
  });

  test('after the bound, rejects with the last error fn threw', async () => {
    let calls = 0;
    await assert.rejects(
      eventually(
        async () => {
          calls += 1;
          assert.equal(calls, -1, `attempt ${calls}`);
        },
        { timeoutMs: 30, intervalMs: 5 },
      ),
      (error: unknown) =>
        error instanceof assert.AssertionError && error.message.startsWith(`attempt ${calls}\n`),
    );
    assert.ok(calls >= 2);
  });
});

describe('clocks', () => {
  test('ManualClock moves only when told; its now is bound', () => {
    const clock = new ManualClock(1000);
    const { now } = clock;
    assert.equal(now(), 1000);
    assert.equal(clock.advance(500), 1500);
    assert.equal(now(), 1500);
    clock.set(42);
    assert.equal(clock.now(), 42);
  });

  test('systemClock and a default ManualClock read the real time', () => {
    const before = Date.now();
    const clock = new ManualClock();
    assert.ok(clock.now() >= before && clock.now() <= Date.now());
    assert.ok(systemClock.now() >= before);
  });
});
