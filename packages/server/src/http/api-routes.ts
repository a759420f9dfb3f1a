import { publicUserOf, type SessionWithUser, sessionToken, userDataFrom, wxUserInfoOf } from '@hutong/core';
import {
  LoginRequest,
  PhoneBindRequest,
  ProfileUpdateRequest,
  type SessionView,
  SessionView as SessionViewSchema,
  type WxProfile,
} from '@hutong/protocol/schemas';
import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';

export interface ApiRoutesOptions {
  auth: AuthService;
}

export function sessionView({ session, user }: SessionWithUser, userInfo = wxUserInfoOf(user)): SessionView {
  return {
    skey: session.skey,
    user: publicUserOf(user),
    userInfo,
    expiresAt: session.expiresAt,
    idleExpiresAt: session.idleExpiresAt,
  };
}

/**
 * Hutong's own JSON API under `/api/v1`: login, session check, logout, phone binding, profile.
 * The session travels as `Authorization: Bearer <skey>` or `X-WX-Skey`.
 */
export const apiRoutes: FastifyPluginAsync<ApiRoutesOptions> = async (app, { auth }) => {
  // Response schemas let Fastify serialise with a compiled stringifier (and drop stray fields).
  const sessionReply = { response: { 200: SessionViewSchema } };

  app.post<{ Body: LoginRequest }>(
    '/login',
    { schema: { body: LoginRequest, ...sessionReply } },
    async (request) => {
      const { code, appid, keyedByCode, ttl, ...fields } = request.body;
      const userData = userDataFrom(fields);
      const result = await auth.login({
        code,
        ip: request.ip,
        ...(appid ? { appid } : {}),
        ...(userData ? { userData } : {}),
        ...(keyedByCode ? { keyedByCode } : {}),
        ...(ttl ? { ttlMs: ttl * 1000 } : {}),
      });
      return sessionView(result, result.userInfo);
    },
  );

  app.get('/session', { schema: sessionReply }, async (request) =>
    sessionView(await auth.check(sessionToken(request.headers))),
  );

  app.delete('/session', async (request, reply) => {
    await auth.logout(sessionToken(request.headers));
    return reply.code(204).send();
  });

  app.delete('/sessions', async (request) => ({
    ended: await auth.logoutEverywhere(sessionToken(request.headers)),
  }));

  app.post<{ Body: { code: string } }>('/phone', { schema: { body: PhoneBindRequest } }, async (request) => {
    const { user, phone } = await auth.bindPhoneNumber(sessionToken(request.headers), request.body.code);
    return { user: publicUserOf(user), phone };
  });

  app.put<{ Body: { profile: WxProfile } }>(
    '/profile',
    { schema: { body: ProfileUpdateRequest } },
    async (request) => {
      const user = await auth.updateProfile(sessionToken(request.headers), request.body.profile);
      return { user: publicUserOf(user) };
    },
  );
};
