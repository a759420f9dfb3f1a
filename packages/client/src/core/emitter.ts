/**
 * A minimal typed event emitter. A listener that throws does not stop the others nor the caller:
 * its error is re-raised as an unhandled rejection, where the host reports it. `onAny` listens to
 * every event as `(name, payload)`. A listener that is not a function is ignored (as the Wafer
 * client did).
 */
export class Emitter<Events extends Record<string, unknown>> {
  #listeners = new Map<string, Set<(payload: never) => void>>();
  #any = new Set<(event: string, payload: unknown) => void>();

  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): () => void {
    if (typeof listener !== 'function') return () => {};
    const set = this.#listeners.get(event) ?? new Set();
    set.add(listener as (payload: never) => void);
    this.#listeners.set(event, set);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): void {
    this.#listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  /** Every event, after its own listeners. Returns the way to stop listening. */
  onAny(listener: (event: string, payload: unknown) => void): () => void {
    if (typeof listener !== 'function') return () => {};
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  offAny(listener: (event: string, payload: unknown) => void): void {
    this.#any.delete(listener);
  }

  protected dispatch<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    const set = this.#listeners.get(event);
    if (set) for (const listener of [...set]) call(() => (listener as (payload: Events[K]) => void)(payload));
    if (this.#any.size > 0) for (const listener of [...this.#any]) call(() => listener(event, payload));
  }

  protected listenerCount(event: string): number {
    return this.#listeners.get(event)?.size ?? 0;
  }
}

function call(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    void Promise.reject(error);
  }
}
