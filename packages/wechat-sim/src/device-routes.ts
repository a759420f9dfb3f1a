import { decode, type Result } from '@hutong/protocol/schemas';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import {
  AppBody,
  CheckSessionBody,
  FaultBody,
  LoginBody,
  PhoneBody,
  UserInfoBody,
} from './device-schemas.js';
import { simErrcodes, wxError } from './errmsg.js';
import { acceptRawBodies, installErrorHandler, readJson } from './http-body.js';
import type { WeChatSim } from './sim-state.js';

export interface DeviceRoutesOptions {
  sim: WeChatSim;
  /** Largest accepted body in bytes (a profile with a long avatar URL fits easily). Default 16 KiB. */
  bodyLimit?: number;
}

/**
 * What a phone does, for tests and the `wx` object (docs/wechat-sim.md#device-api-what-a-phone-does). Bodies
 * are JSON checked against the schemas in device-schemas.ts; bad input gets HTTP 400 and
 * `{errcode, errmsg}` (47001 not JSON, 40097 schema mismatch, else the sim's own errcode).
 * An absent body reads as `{}`.
 */
export const deviceRoutes: FastifyPluginAsync<DeviceRoutesOptions> = async (app, { sim, bodyLimit }) => {
  acceptRawBodies(app, bodyLimit ?? 16 * 1024);
  installErrorHandler(app, 'device');

  /** The checked body, or undefined after answering 400. */
  const body = <S extends TSchema>(schema: S, raw: unknown, reply: FastifyReply) => {
    const json = readJson(raw, {});
    if (json === undefined) {
      void reply.status(400).send(wxError(simErrcodes.dataFormat, sim.now()));
      return undefined;
    }
    const checked = decode(schema, json);
    if (!checked.ok) {
      void reply.status(400).send(wxError(simErrcodes.invalidArgs, sim.now(), checked.error.message));
      return undefined;
    }
    return checked.value;
  };

  const answer = <T>(reply: FastifyReply, result: Result<T, number>) =>
    result.ok ? reply.send(result.value) : reply.status(400).send(wxError(result.error, sim.now()));

  app.post('/login', async (request, reply) => {
    const input = body(LoginBody, request.body, reply);
    return input ? answer(reply, sim.login(input)) : reply;
  });

  app.post('/userinfo', async (request, reply) => {
    const input = body(UserInfoBody, request.body, reply);
    if (!input) return reply;
    const { kind, ...rest } = input;
    return answer(reply, sim.userData({ ...rest, withIds: kind !== 'profile' }));
  });

  app.post('/checksession', async (request, reply) => {
    const input = body(CheckSessionBody, request.body, reply);
    if (!input) return reply;
    const alive = sim.sessionAlive(input.code, input.appid);
    return answer(reply, alive.ok ? { ok: true as const, value: { valid: alive.value } } : alive);
  });

  app.post('/phonenumber', async (request, reply) => {
    const input = body(PhoneBody, request.body, reply);
    return input ? answer(reply, sim.phoneCode(input)) : reply;
  });

  app.post('/apps', async (request, reply) => {
    const input = body(AppBody, request.body, reply);
    if (!input) return reply;
    sim.addApp(input);
    return reply.send({ appid: input.appid });
  });

  /** The next `times` (default 1) calls of a platform API answer `errcode`, e.g. -1 "system error". */
  app.post('/faults', async (request, reply) => {
    const input = body(FaultBody, request.body, reply);
    if (!input) return reply;
    sim.faults.inject(input.api, input.errcode, input.times);
    return reply.send({ api: input.api, errcode: input.errcode, times: input.times ?? 1 });
  });
};
