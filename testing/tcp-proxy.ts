/**
 * A TCP proxy on port 0 in front of a real service, for testing how a store behaves when the
 * backend goes away and comes back:
 * - `down()`: open connections are reset and new ones are accepted then closed at once (a crashed
 *   or restarting server);
 * - `stall()`: open and new connections stop carrying bytes, forever (a network partition that
 *   leaves half-open sockets behind, which only a timeout can detect);
 * - `up()`: new connections are forwarded again. Stalled ones stay stalled until `close()`.
 *
 * `tap` sees each client connection that is forwarded (e.g. to count what it sends).
 */
import { createServer, type Server, Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  url(url: string): string;
  /** New connections go to `url` from now on (a load balancer taking a node out); open ones stay. */
  retarget(url: string): void;
  up(): void;
  down(): void;
  stall(): void;
  close(): Promise<void>;
}

type Mode = 'up' | 'down' | 'stall';

export async function startTcpProxy(
  target: string,
  options: { tap?: (client: Socket) => void } = {},
): Promise<TcpProxy> {
  let { hostname, port } = new URL(target);
  const live = new Set<Socket>();
  const stalled = new Set<Socket>();
  let mode: Mode = 'up';

  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (mode === 'down') {
      client.destroy();
      return;
    }
    if (mode === 'stall') {
      client.pause();
      stalled.add(client);
      return;
    }
    const upstream = new Socket();
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    for (const socket of [client, upstream]) {
      live.add(socket);
      socket.on('close', () => live.delete(socket));
    }
    options.tap?.(client);
    upstream.connect(Number(port), hostname.replace(/^\[|\]$/g, ''));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');

  return {
    port: address.port,
    url(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(address.port);
      return parsed.toString();
    },
    retarget(url) {
      ({ hostname, port } = new URL(url));
    },
    up() {
      mode = 'up';
    },
    down() {
      mode = 'down';
      for (const socket of live) socket.resetAndDestroy();
    },
    stall() {
      mode = 'stall';
      for (const socket of live) {
        socket.unpipe();
        socket.pause();
        live.delete(socket);
        stalled.add(socket);
      }
    },
    async close() {
      for (const socket of [...live, ...stalled]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
