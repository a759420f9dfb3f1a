import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the Wafer 1 services need of a request and a response (Node's own, as in Express or Koa). */
export type RequestLike = Pick<IncomingMessage, 'headers'> & {
  socket?: { remoteAddress?: string | undefined };
};
export type ResponseLike = Pick<ServerResponse, 'writeHead' | 'end' | 'headersSent'>;

export class ServiceBase {
  constructor(
    readonly req: RequestLike,
    readonly res: ResponseLike,
  ) {
    if (!req || typeof req !== 'object' || typeof req.headers !== 'object') {
      throw new TypeError(`${new.target.name}::req must be an http.IncomingMessage`);
    }
    if (!res || typeof res.writeHead !== 'function' || typeof res.end !== 'function') {
      throw new TypeError(`${new.target.name}::res must be an http.ServerResponse`);
    }
  }

  static create<T extends ServiceBase>(
    this: new (
      req: RequestLike,
      res: ResponseLike,
    ) => T,
    req: RequestLike,
    res: ResponseLike,
  ): T {
    return new this(req, res);
  }

  writeJsonResult(body: unknown, statusCode = 200): void {
    this.res.writeHead(statusCode, { 'Content-Type': 'application/json; charset=utf-8' });
    this.res.end(JSON.stringify(body));
  }

  getHeader(name: string): string {
    const raw = this.req.headers[name.toLowerCase()];
    return (Array.isArray(raw) ? raw[0] : raw) ?? '';
  }
}
