/**
 * The seed 一笔到底 app's business routes (the Express server of CFETeam/weapp-demo-session), so its
 * mini program runs unchanged against Hutong. Registered under `<basePath>/session/paints`:
 *
 * - `GET list` → `{code: 0, msg: 'success', data: [{id, actions}]}`, the user's 100 most recently
 *   saved paints;
 * - `POST save` `{id, actions}` (JSON or a form) → stores or replaces the user's paint `id`,
 *   `data: {}`;
 * - `POST delete` `{id}` → `data: {}`, also when the user had no such paint.
 *
 * The user comes from weapp-session (`X-WX-Code`; node-sdk's `weappSession` preHandler), whose own
 * failures are its magic body. Every other failure is HTTP 200 `{code: -1, msg: 'fail', error:
 * {code, reason}}` (`code` is Hutong's addition), but a fault of the server's own is HTTP 500 with
 * that body. Paints are keyed by (openId, id), where the original keyed them by id alone.
 */
import type { AuthTarget } from '@hutong/node-sdk';
import { weappSession } from '@hutong/node-sdk/fastify';
import type { FastifyError, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { DemoStore } from './demo-store.js';
import { DemoError } from './routes.js';

export const appletLimits = {
  maxPaintsPerUser: 500,
  listed: 100,
  /** Of the actions text, UTF-8 bytes. */
  maxActionsBytes: 256 * 1024,
  /** Room for the largest actions in either encoding: escaped JSON (≤ 2×) or a form (≤ 3×). */
  maxBodyBytes: 1024 * 1024,
} as const;

/** A paint id: the mini program's uuid, or any 1-64 of these characters. */
export const PAINT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** `ROUTE_BASE_PATH`: '' or `/segment…`, without a trailing slash. */
export const APPLET_BASE_PATH = /^(\/[A-Za-z0-9._~-]+)*$/;

export interface AppletRoutesOptions {
  store: Pick<DemoStore, 'savePaint' | 'paints' | 'deletePaint'>;
  /** Where weapp-session's sessions live: the server's `AuthService` (`hutong.auth`) or `{url}`. */
  auth: AuthTarget;
  /** Session lifetime in seconds (weapp-session's `redisConfig.ttl`). */
  ttlSeconds: number;
}

const ok = (data: unknown) => ({ code: 0, msg: 'success', data });
const bad = (reason: string) => new DemoError('ERR_DEMO_BAD_INPUT', reason);

function fieldsOf(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('the body must be {id, …}');
  return body as Record<string, unknown>;
}

function paintId({ id }: Record<string, unknown>): string {
  if (id === undefined) throw bad('id is required');
  if (typeof id !== 'string' || !PAINT_ID.test(id))
    throw bad('id must be 1-64 characters of A-Z, a-z, 0-9, _ and -');
  return id;
}

/** The actions text as sent, once it is known to be a JSON array of at most 256 KB. */
function paintActions({ actions }: Record<string, unknown>): string {
  if (actions === undefined) throw bad('actions is required');
  if (typeof actions !== 'string' || actions === '')
    throw bad('actions must be a non-empty string: JSON.stringify of the canvas actions');
  if (Buffer.byteLength(actions) > appletLimits.maxActionsBytes) {
    const kb = appletLimits.maxActionsBytes / 1024;
    throw new DemoError('ERR_DEMO_STROKE_TOO_LARGE', `actions is at most ${kb} KB`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(actions);
  } catch {
    throw bad('actions must be JSON text');
  }
  if (!Array.isArray(parsed)) throw bad('actions must be a JSON array');
  return actions;
}

/** The user weapp-session found for the request's code; the original's sentence without one. */
function openId(request: FastifyRequest): string {
  const id = request.$wxUserInfo?.openId;
  if (typeof id !== 'string' || id === '') throw new DemoError('ERR_DEMO_NO_USER', 'openId does not exists');
  return id;
}

/** Any error as the failure the client is sent; faults of the server are logged. */
function failureOf(error: FastifyError, request: FastifyRequest): DemoError {
  if (error instanceof DemoError) return error;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const kb = appletLimits.maxBodyBytes / 1024;
    return new DemoError('ERR_DEMO_STROKE_TOO_LARGE', `a body is at most ${kb} KB`);
  }
  if (error.code?.startsWith('FST_ERR_CTP')) return bad('the body must be JSON or a URL-encoded form');
  if (error.statusCode !== undefined && error.statusCode < 500) return bad(error.message);
  request.log.error({ err: error }, 'applet route failed');
  return new DemoError('ERR_DEMO_INTERNAL', 'something went wrong on the server', 500);
}

export const appletRoutes: FastifyPluginAsync<AppletRoutesOptions> = async (app, options) => {
  const { store } = options;
  app.addHook('preHandler', weappSession({ auth: options.auth, redisConfig: { ttl: options.ttlSeconds } }));
  // The original parsed forms too (body-parser's urlencoded); flat fields are all it needs.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, text, done) =>
    done(null, Object.fromEntries(new URLSearchParams(text as string))),
  );
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const failure = failureOf(error, request);
    return reply
      .code(failure.code === 'ERR_DEMO_INTERNAL' ? 500 : 200)
      .send({ code: -1, msg: 'fail', error: { code: failure.code, reason: failure.message } });
  });

  app.get('/list', async (request) => ok(await store.paints(openId(request), appletLimits.listed)));

  app.post('/save', { bodyLimit: appletLimits.maxBodyBytes }, async (request) => {
    const owner = openId(request);
    const fields = fieldsOf(request.body);
    const [id, actions] = [paintId(fields), paintActions(fields)];
    const max = appletLimits.maxPaintsPerUser;
    if ((await store.savePaint(owner, id, actions, max)) === 'limit')
      throw new DemoError('ERR_DEMO_LIMIT', `at most ${max} paints each: delete one first`);
    return ok({});
  });

  app.post('/delete', async (request) => {
    const owner = openId(request);
    await store.deletePaint(owner, paintId(fieldsOf(request.body)));
    return ok({});
  });
};
