/** GroupCommit and eachOnError on their own, with a writer the test controls. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eachOnError, GroupCommit, type Outcome } from '../../src/stores/group-commit.js';

/** A writer that records its batches and finishes each when the test says so. */
function gate() {
  const batches: number[][] = [];
  const open: (() => void)[] = [];
  let arrived: () => void = () => {};
  const write = (items: number[]): Promise<Outcome<number>[]> => {
    batches.push(items);
    arrived();
    return new Promise((resolve) =>
      open.push(() =>
        resolve(items.map((n) => (n < 0 ? { ok: false, error: n } : { ok: true, value: n * 10 }))),
      ),
    );
  };
  /** Resolves when `count` batches have started. */
  const started = (count: number) =>
    new Promise<void>((resolve) => {
      arrived = () => batches.length >= count && resolve();
      arrived();
    });
  return { batches, write, started, release: () => open.shift()!() };
}

describe('GroupCommit', () => {
  it('calls made while a batch is written go together in the next; outcomes reach their callers', async () => {
    const g = gate();
    const commit = new GroupCommit(g.write, () => new Error('full'), { maxBatch: 3, maxQueued: 100 });
    const first = [commit.submit(1), commit.submit(2)];
    await g.started(1);
    const rest = [4, 5, -6, 7, 8].map((n) => commit.submit(n));
    assert.deepEqual(g.batches, [[1, 2]], 'the others wait for the batch in flight');
    g.release();
    assert.deepEqual(await Promise.all(first), [10, 20]);
    await g.started(2);
    assert.deepEqual(g.batches[1], [4, 5, -6], 'at most maxBatch');
    g.release();
    await g.started(3);
    g.release();
    const settled = await Promise.allSettled(rest);
    assert.deepEqual(
      settled.map((s) => (s.status === 'fulfilled' ? s.value : `error ${s.reason}`)),
      [40, 50, 'error -6', 70, 80],
    );
    assert.deepEqual(g.batches, [
      [1, 2],
      [4, 5, -6],
      [7, 8],
    ]);
    await commit.settled();
  });

  it('refuses a call beyond maxQueued at once, with the overflow error', async () => {
    const g = gate();
    const commit = new GroupCommit(g.write, () => new Error('full'), { maxBatch: 10, maxQueued: 2 });
    const accepted = [commit.submit(1), commit.submit(2)];
    await assert.rejects(commit.submit(3), /full/);
    await g.started(1);
    const again = commit.submit(4);
    g.release();
    await g.started(2);
    g.release();
    assert.deepEqual(await Promise.all([...accepted, again]), [10, 20, 40]);
    await commit.settled();
  });

  it('bounds a batch by weight, but a heavy call still goes alone', async () => {
    const g = gate();
    const commit = new GroupCommit(g.write, () => new Error('full'), {
      maxBatch: 10,
      maxQueued: 10,
      maxBatchWeight: 10,
      weight: (n) => n,
    });
    const all = [3, 4, 5, 20, 1].map((n) => commit.submit(n));
    for (let i = 1; i <= 4; i += 1) {
      await g.started(i);
      g.release();
    }
    await Promise.all(all);
    assert.deepEqual(g.batches, [[3, 4], [5], [20], [1]]);
    await commit.settled();
  });

  it('a writer that throws fails every call of its batch; later batches still run', async () => {
    let calls = 0;
    const commit = new GroupCommit<number, number>(
      async (items) => {
        calls += 1;
        if (calls === 1) throw new Error('down');
        return items.map((n) => ({ ok: true, value: n }));
      },
      () => new Error('full'),
      { maxBatch: 10, maxQueued: 10 },
    );
    const failed = await Promise.allSettled([commit.submit(1), commit.submit(2)]);
    assert.ok(failed.every((s) => s.status === 'rejected' && /down/.test(String(s.reason))));
    assert.equal(await commit.submit(3), 3);
  });
});

describe('eachOnError', () => {
  const one = async (n: number) => {
    if (n < 0) throw new Error(`bad ${n}`);
    return n;
  };
  const all = async (items: number[]) => {
    if (items.some((n) => n < 0)) throw new Error('batch spoiled');
    return items;
  };

  it('writes each item alone after an error the predicate isolates', async () => {
    const outcomes = await eachOnError([1, -2, 3], all, one, () => true);
    assert.deepEqual(
      outcomes.map((o) => (o.ok ? o.value : String(o.error))),
      [1, 'Error: bad -2', 3],
    );
  });

  it('fails the whole batch on any other error', async () => {
    await assert.rejects(
      eachOnError([1, -2], all, one, () => false),
      /batch spoiled/,
    );
  });
});
