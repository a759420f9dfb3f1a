import type { BlockList } from 'node:net';
import { asHutongError, sessionSecondsLeft, userDataFrom, wxUserInfoOf } from '@hutong/core';
import {
  decode,
  HutongError,
  parseJson,
  Wafer1CheckPara,
  Wafer1Envelope,
  Wafer1LoginPara,
  type Wafer1Response,
  wafer1Interfaces,
} from '@hutong/protocol/schemas';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import { listed } from './address-list.js';

export interface Wafer1AuthOptions {
  auth: AuthService;
  /** Largest accepted request body, bytes. */
  bodyLimit?: number;
  /**
   * The business servers allowed to call (`HUTONG_AUTH_CALLERS`): others get ERR_FORBIDDEN. Their
   * logins skip the per-address limit (every user of a business server shares its address); the
   * per-user limit still applies. Unset: anyone may call, and logins count against the caller's
   * address.
   */
  callers?: BlockList;
}

function reply<T>(returnCode: number, returnMessage: string, returnData: T | ''): Wafer1Response<T> {
  return { version: 1, componentName: 'MA', returnCode, returnMessage, returnData };
}

export function wafer1Error(error: HutongError): Wafer1Response<unknown> {
  return reply(error.wafer1Code, `${error.code}: ${error.message}`, '');
}

/**
 * `ip`: the caller's address when the per-address login limit applies to it; undefined for a
 * configured business server (`callers`), whose users are limited per user instead.
 */
async function handle(
  auth: AuthService,
  body: unknown,
  ip: string | undefined,
): Promise<Wafer1Response<unknown>> {
  const json = parseJson(typeof body === 'string' ? body : '');
  if (!json.ok) throw json.error;
  const envelope = decode(Wafer1Envelope, json.value);
  if (!envelope.ok) throw envelope.error;
  const { interfaceName, para, appid } = envelope.value.interface;
  if (!interfaceName) throw new HutongError('ERR_INTERFACE_MISSING');
  if (interfaceName !== wafer1Interfaces.login && interfaceName !== wafer1Interfaces.check) {
    throw new HutongError('ERR_INTERFACE_UNKNOWN', `Unknown interfaceName ${interfaceName.slice(0, 64)}`);
  }
  if (!para) throw new HutongError('ERR_PARA_MISSING');

  if (interfaceName === wafer1Interfaces.login) {
    const login = decode(Wafer1LoginPara, para);
    if (!login.ok) throw login.error;
    const userData = userDataFrom({ encryptedData: login.value.encrypt_data, iv: login.value.iv });
    const result = await auth.login({
      code: login.value.code,
      ...(ip ? { ip } : {}),
      ...(appid ? { appid } : {}),
      ...(userData ? { userData } : {}),
    });
    const { session } = result;
    const duration = sessionSecondsLeft(session, session.createdAt);
    return reply(0, result.isNewUser ? 'NEW_SESSION_SUCCESS' : 'UPDATE_SESSION_SUCCESS', {
      id: result.user.id,
      skey: session.skey,
      user_info: result.userInfo,
      duration,
    });
  }

  const check = decode(Wafer1CheckPara, para);
  if (!check.ok) throw new HutongError('ERR_SESSION_INVALID', 'id and skey are required');
  const { user } = await auth.check(check.value.skey, check.value.id);
  return reply(0, 'AUTH_SUCCESS', { user_info: wxUserInfoOf(user) });
}

/**
 * The Wafer 1 auth server API (docs/protocols/auth-api.md#wafer-1-auth-server-api) for qcloud-weapp-server-sdk and its siblings:
 * always HTTP 200, errors as `returnCode` (unknown or expired session = 60012).
 */
export const wafer1AuthRoutes: FastifyPluginAsync<Wafer1AuthOptions> = async (
  app: FastifyInstance,
  options,
) => {
  const bodyLimit = options.bodyLimit ?? 64 * 1024;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, body));
  app.setErrorHandler((error, request, res) => {
    const hutong = asHutongError(error);
    if (hutong.code === 'ERR_INTERNAL') request.log.error({ err: error }, 'auth request failed');
    return res.code(200).send(wafer1Error(hutong));
  });
  const { callers } = options;
  const route = async (request: { body: unknown; ip: string }) => {
    if (callers && !listed(callers, request.ip)) {
      throw new HutongError('ERR_FORBIDDEN', 'This address may not call the auth API');
    }
    return handle(options.auth, request.body, callers ? undefined : request.ip);
  };
  app.post('/', { bodyLimit }, route);
  app.post('/*', { bodyLimit }, route);
};
