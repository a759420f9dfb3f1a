import { type AddressInfo, createServer } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';

/** A small business server: echoes requests, serves text, and can be slow or gated. */
export async function startEchoServer(): Promise<{
  url: string;
  app: FastifyInstance;
  inFlight: () => number;
  peak: () => number;
  open: () => void;
  close: () => Promise<void>;
}> {
  const app = Fastify();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, body, done) =>
    done(null, body),
  );
  let current = 0;
  let highest = 0;
  let release: () => void = () => {};
  let gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const echo = async (request: { method: string; query: unknown; headers: unknown; body: unknown }) => ({
    method: request.method,
    query: request.query,
    headers: request.headers,
    body: request.body ?? null,
  });
  app.get('/echo', echo);
  app.post('/echo', echo);
  app.put('/echo', echo);
  app.get('/text', async (_request, reply) => reply.type('text/plain').send('not { json'));
  app.get('/cookie', async (_request, reply) =>
    reply.header('set-cookie', ['a=1', 'b=2']).send({ ok: true }),
  );
  app.get('/slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { slow: true };
  });
  app.get('/gated', async () => {
    current += 1;
    highest = Math.max(highest, current);
    await gate;
    current -= 1;
    return { ok: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    inFlight: () => current,
    peak: () => highest,
    open: () => {
      release();
      gate = Promise.resolve();
    },
    close: () => app.close(),
  };
}

/** Echoes every frame with its kind; "bye" makes the server close with 4000 "bye". */
export async function startWsEcho(): Promise<{
  url: string;
  headers: Record<string, string | undefined>[];
  close: () => Promise<void>;
}> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const headers: Record<string, string | undefined>[] = [];
  server.on('connection', (socket, request) => {
    headers.push({ 'x-wx-skey': request.headers['x-wx-skey'] as string | undefined });
    socket.on('message', (data, isBinary) => {
      if (!isBinary && data.toString() === 'bye') socket.close(4000, 'bye');
      else socket.send(data, { binary: isBinary });
    });
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    headers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/** Resolves with the first value `register` hands its callback. */
export const once = <T>(register: (callback: (value: T) => void) => void): Promise<T> =>
  new Promise<T>((resolve) => register(resolve));

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
