import type { Result } from '@hutong/protocol';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { simErrcodes, wxError } from './errmsg.js';
import type { FaultApi } from './faults.js';
import { acceptRawBodies, installErrorHandler, param, readJson } from './http-body.js';
import type { WeChatSim } from './sim-state.js';

export interface PlatformRoutesOptions {
  sim: WeChatSim;
}

/** Platform request bodies are a few hundred bytes; anything near this is abuse. */
const PLATFORM_BODY_LIMIT = 64 * 1024;

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * `api.weixin.qq.com` under its real paths. Every answer is HTTP 200 with either the success
 * shape or `{errcode, errmsg}`, as WeChat does; callers must look at `errcode`, not the status.
 */
export const platformRoutes: FastifyPluginAsync<PlatformRoutesOptions> = async (app, { sim }) => {
  acceptRawBodies(app, PLATFORM_BODY_LIMIT);
  installErrorHandler(app, 'platform');

  const answer = <T extends object>(reply: FastifyReply, result: Result<T, number>, extra?: object) =>
    reply.send(result.ok ? { ...extra, ...result.value } : wxError(result.error, sim.now()));

  // An injected fault answers before anything else is looked at, as a busy WeChat would.
  app.addHook('preHandler', async (request, reply) => {
    const api = request.routeOptions.url?.split('/').pop() as FaultApi | undefined;
    const errcode = api === undefined ? undefined : sim.faults.take(api);
    if (errcode !== undefined) return reply.send(wxError(errcode, sim.now()));
  });

  /** A JSON object body, or null (then the route answers 47001 data format error). */
  const jsonObject = (body: unknown): Record<string, unknown> | null => {
    const value = readJson(body, undefined);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  };

  app.get('/sns/jscode2session', async (request, reply) => {
    const q = request.query;
    const result = sim.code2Session({
      appid: param(q, 'appid'),
      secret: param(q, 'secret'),
      js_code: param(q, 'js_code'),
      grant_type: param(q, 'grant_type'),
    });
    return answer(reply, result);
  });

  app.get('/cgi-bin/token', async (request, reply) => {
    const q = request.query;
    const result = sim.accessToken({
      grant_type: param(q, 'grant_type'),
      appid: param(q, 'appid'),
      secret: param(q, 'secret'),
    });
    return answer(reply, result);
  });

  app.post('/cgi-bin/stable_token', async (request, reply) => {
    const body = jsonObject(request.body);
    if (!body) return reply.send(wxError(simErrcodes.dataFormat, sim.now()));
    const result = sim.stableToken({
      grant_type: str(body['grant_type']),
      appid: str(body['appid']),
      secret: str(body['secret']),
      force_refresh: body['force_refresh'] === true,
    });
    return answer(reply, result);
  });

  app.post('/wxa/business/getuserphonenumber', async (request, reply) => {
    const body = jsonObject(request.body);
    if (!body) return reply.send(wxError(simErrcodes.dataFormat, sim.now()));
    const openid = body['openid'];
    const result = sim.phoneNumber(param(request.query, 'access_token'), {
      code: str(body['code']),
      ...(typeof openid === 'string' ? { openid } : {}),
    });
    if (!result.ok) return reply.send(wxError(result.error, sim.now()));
    return reply.send({ errcode: 0, errmsg: 'ok', phone_info: result.value });
  });

  const sessionKeyQuery = (q: unknown) => ({
    access_token: param(q, 'access_token'),
    openid: param(q, 'openid'),
    signature: param(q, 'signature'),
    sig_method: param(q, 'sig_method'),
  });

  app.get('/wxa/checksession', async (request, reply) => {
    const result = sim.checkSessionKey(sessionKeyQuery(request.query));
    return reply.send(result.ok ? wxError(0) : wxError(result.error, sim.now()));
  });

  app.get('/wxa/resetusersessionkey', async (request, reply) => {
    return answer(reply, sim.resetSessionKey(sessionKeyQuery(request.query)), wxError(0));
  });
};
