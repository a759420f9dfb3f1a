import type { FastifyError, FastifyInstance } from 'fastify';
import { type WxErrorBody, wxError } from './errmsg.js';

/**
 * Makes every body in this plugin scope arrive as raw text, whatever its content-type: WeChat
 * parses JSON bodies itself (clients often omit the header), and the device API wants its own
 * `{errcode, errmsg}` answer for bad JSON instead of Fastify's. Scoped: parents keep their parsers.
 */
export function acceptRawBodies(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_request, body, done) => done(null, body));
}

/** Parses a raw body: `undefined` when it is not JSON. An absent or empty body reads as `empty`. */
export function readJson(body: unknown, empty: unknown): unknown {
  if (body === undefined || body === '') return empty;
  if (typeof body !== 'string') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** One string parameter of a query string; repeated parameters count by their first value. */
export function param(query: unknown, name: string): string {
  const value = (query as Record<string, unknown> | undefined)?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : '';
}

/**
 * Maps errors thrown before a handler ran (body too large, aborted upload) and unexpected ones to
 * `{errcode, errmsg}`. `platform` answers HTTP 200 as WeChat does; the device API keeps the status.
 */
export function installErrorHandler(app: FastifyInstance, style: 'platform' | 'device'): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    const body: WxErrorBody = status < 500 ? wxError(47001, Date.now(), error.message) : wxError(-1);
    if (status >= 500) request.log.error({ err: error }, 'wechat simulator failure');
    return reply.status(style === 'platform' ? 200 : status).send(body);
  });
}
