/**
 * Group commit: calls that arrive while a batch is being written wait, and are written together
 * as the next batch, so a busy store pays one database round trip and one commit for many calls
 * instead of one each. An idle store writes a call on the next turn of the event loop (with
 * whatever else arrived in that turn).
 *
 * Every resource has a limit: a batch holds at most `maxBatch` calls and `maxBatchWeight` of their
 * weight (one heavier call still goes alone); at most `maxQueued` calls wait; one more is refused
 * at once with the error `overflow()` builds, before anything is written (the caller may retry).
 */

export type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface GroupCommitOptions<I> {
  /** Calls per batch. */
  maxBatch: number;
  /** Calls waiting for a batch; more are refused. */
  maxQueued: number;
  /** The sum of `weight` per batch (e.g. bytes of content); default unbounded. */
  maxBatchWeight?: number;
  weight?: (item: I) => number;
  /** Batches written at once; default 1. */
  concurrency?: number;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export class GroupCommit<I, O> {
  readonly #write: (items: I[]) => Promise<Outcome<O>[]>;
  readonly #overflow: () => Error;
  readonly #options: Required<GroupCommitOptions<I>>;
  #queue: Waiting<I, O>[] = [];
  #writing = 0;
  #scheduled = false;
  #idle: (() => void)[] = [];

  /**
   * `write` gets the items of one batch and answers one outcome per item, in order; a rejection
   * fails the whole batch with that error.
   */
  constructor(
    write: (items: I[]) => Promise<Outcome<O>[]>,
    overflow: () => Error,
    options: GroupCommitOptions<I>,
  ) {
    this.#write = write;
    this.#overflow = overflow;
    this.#options = {
      maxBatchWeight: Number.POSITIVE_INFINITY,
      weight: () => 0,
      concurrency: 1,
      ...options,
    };
  }

  /** Resolves with the item's outcome once its batch is written. */
  submit(item: I): Promise<O> {
    if (this.#queue.length >= this.#options.maxQueued) return Promise.reject(this.#overflow());
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      // A free writer starts on the next turn, so calls arriving in this one share its batch.
      if (this.#writing < this.#options.concurrency && !this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#next();
        });
      }
    });
  }

  /** Calls waiting or being written. */
  get size(): number {
    return this.#queue.length;
  }

  /** Resolves when nothing waits or is being written (e.g. before closing the database). */
  settled(): Promise<void> {
    if (this.#writing === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #take(): Waiting<I, O>[] {
    const { maxBatch, maxBatchWeight, weight } = this.#options;
    let count = 0;
    let total = 0;
    while (count < this.#queue.length && count < maxBatch) {
      total += weight(this.#queue[count]!.item);
      if (count > 0 && total > maxBatchWeight) break;
      count += 1;
    }
    return this.#queue.splice(0, count);
  }

  #next(): void {
    while (this.#writing < this.#options.concurrency && this.#queue.length > 0) {
      const batch = this.#take();
      this.#writing += 1;
      void this.#run(batch);
    }
    if (this.#writing === 0 && this.#queue.length === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  async #run(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const outcomes = await this.#write(batch.map((w) => w.item));
      for (const [index, waiting] of batch.entries()) {
        const outcome = outcomes[index]!;
        if (outcome.ok) waiting.resolve(outcome.value);
        else waiting.reject(outcome.error);
      }
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      this.#writing -= 1;
      this.#next();
    }
  }
}

/**
 * Writes `items` with `all` as one batch. When that fails with an error `isolate` accepts (one bad
 * item spoils a batch: a constraint, a value too long), writes each item alone with `one`, in
 * order, so only the bad one fails; any other error (the database is away) fails the batch.
 */
export async function eachOnError<I, O>(
  items: I[],
  all: (items: I[]) => Promise<O[]>,
  one: (item: I) => Promise<O>,
  isolate: (error: unknown) => boolean,
): Promise<Outcome<O>[]> {
  const alone = async (item: I): Promise<Outcome<O>> => {
    try {
      return { ok: true, value: await one(item) };
    } catch (error) {
      return { ok: false, error };
    }
  };
  if (items.length === 1) return [await alone(items[0]!)];
  try {
    return (await all(items)).map((value) => ({ ok: true, value }));
  } catch (error) {
    if (!isolate(error)) throw error;
    const outcomes: Outcome<O>[] = [];
    for (const item of items) outcomes.push(await alone(item));
    return outcomes;
  }
}
