/**
 * Test access to the local services (Redis, MariaDB/MySQL, PostgreSQL).
 *
 * Outside CI a missing service skips the suites that need it, with a loud notice on stderr.
 * In CI (`CI=true`) a missing service is a failure: the suite must not silently pass.
 */
import { Socket } from 'node:net';

export type ServiceName = 'redis' | 'mysql' | 'postgres';

export const serviceUrls: Record<ServiceName, string> = {
  redis: process.env.HUTONG_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  mysql: process.env.HUTONG_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
  postgres: process.env.HUTONG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
};

const probes = new Map<ServiceName, Promise<boolean>>();

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port), hostname.replace(/^\[|\]$/g, ''), () => done(true));
  });
}

/**
 * Resolves to the service URL when it is reachable; otherwise to a skip reason (outside CI) or
 * throws (in CI). Use as: `const svc = await service('redis'); test('x', { skip: svc.skip }, ...)`.
 */
export async function service(name: ServiceName): Promise<{ url: string; skip: string | false }> {
  const url = serviceUrls[name];
  let probe = probes.get(name);
  if (!probe) {
    probe = reachable(url);
    probes.set(name, probe);
  }
  if (await probe) return { url, skip: false };
  if (process.env.CI === 'true') throw new Error(`${name} is required in CI but ${url} is not reachable`);
  const reason = `${name} not reachable at ${url}`;
  process.stderr.write(
    `\n!!! SKIPPING ${name.toUpperCase()} SUITES: ${reason} (set CI=true to make this fail)\n\n`,
  );
  return { url, skip: reason };
}

/** A short random suffix for isolating test data (table prefixes, key prefixes). */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
