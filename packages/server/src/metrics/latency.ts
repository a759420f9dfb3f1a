/**
 * Latency of the stores and the broker, as one Prometheus histogram labelled by backend and
 * operation: each asynchronous method of the wrapped object is timed, whatever it resolves or
 * rejects with.
 */
import { Histogram } from 'prom-client';

export type LatencyHistogram = Histogram<'backend' | 'op'>;

export function createLatencyHistogram(): LatencyHistogram {
  return new Histogram({
    name: 'hutong_backend_seconds',
    help: 'Latency of session store, IM store and broker calls, by backend and operation',
    labelNames: ['backend', 'op'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [],
  });
}

/** `target` with each method that returns a promise timed into `histogram` as `{backend, op}`. */
export function timed<T extends object>(target: T, backend: string, histogram: LatencyHistogram): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, key) {
      const value: unknown = Reflect.get(object, key, object);
      if (typeof value !== 'function' || key === 'constructor') return value;
      let wrapper = wrapped.get(key);
      if (!wrapper) {
        // The labelled child is looked up once: no label hashing on the hot path.
        const series = histogram.labels(backend, String(key));
        wrapper = (...args: unknown[]) => {
          const started = performance.now();
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(object, args);
          if (result instanceof Promise) {
            const observe = () => series.observe((performance.now() - started) / 1000);
            result.then(observe, observe);
          }
          return result;
        };
        wrapped.set(key, wrapper);
      }
      return wrapper;
    },
  });
}
