/**
 * A minimal typed event emitter. A listener that throws does not stop the others nor the caller:
 * its error is re-raised as an unhandled rejection, where the host reports it.
 */
export class Emitter<Events extends Record<string, unknown>> {
  #listeners = new Map<string, Set<(payload: never) => void>>();

  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    set.add(listener as (payload: never) => void);
    this.#listeners.set(event, set);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): void {
    this.#listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  protected dispatch<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: Events[K]) => void)(payload);
      } catch (error) {
        void Promise.reject(error);
      }
    }
  }

  protected listenerCount(event: string): number {
    return this.#listeners.get(event)?.size ?? 0;
  }
}
