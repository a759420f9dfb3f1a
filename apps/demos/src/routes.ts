/**
 * The demos' business routes on a Fastify app that has `@hutong/node-sdk/fastify` registered (for
 * `app.hutong.requireSession`): names, the chat room's tunnel, 一笔到底's drawings and IM chat's
 * contacts and groups. Wafer 2 dialect: `{code: 0, data}`, 401 `{code: -1}` without a session, and
 * `{code: 1, error: {code, message}}` with a 4xx for anything else wrong.
 */
import type { WxUserInfo } from '@hutong/protocol/schemas';
import { decode, isHutongError } from '@hutong/protocol/schemas';
import type { MessageStore } from '@hutong/server';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ChatRoom } from './chat-room.js';
import type { DemoStore, Profile } from './demo-store.js';
import { newId } from './demo-store.js';
import { checkStroke, strokeLimits } from './drawing.js';
import { DrawingBody, GroupBody, ID_PATTERN, ProfileBody } from './schemas.js';
import '@hutong/node-sdk/fastify';

export type DemoErrorCode =
  | 'ERR_DEMO_EMPTY_STROKE'
  | 'ERR_DEMO_STROKE_TOO_LARGE'
  | 'ERR_DEMO_BAD_STROKE'
  | 'ERR_DEMO_BAD_INPUT'
  | 'ERR_DEMO_NOT_FOUND'
  | 'ERR_DEMO_LIMIT'
  | 'ERR_DEMO_INTERNAL'
  /** The seed app's routes (`applet-routes.ts`) on a request without a user (no `X-WX-Code`). */
  | 'ERR_DEMO_NO_USER'
  /** The chat room's sixth tunnel for one user (the hub's per-user limit), answered 429. */
  | 'ERR_TUNNEL_LIMIT';

export class DemoError extends Error {
  constructor(
    readonly code: DemoErrorCode,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'DemoError';
  }
}

export interface DemoRoutesOptions {
  store: DemoStore;
  chat: ChatRoom;
  /** Where IM group memberships go (Hutong's message store, in process). */
  imStore: Pick<MessageStore, 'setMembers'>;
}

const MAX_NAME = 20;
const CONTROL = /\p{Cc}|\p{Cf}/u;

/** The trimmed name, or a DemoError: 1-20 characters (code points), no control characters. */
export function cleanName(raw: string, what: string): string {
  const name = raw.trim();
  const length = [...name].length;
  if (length === 0 || length > MAX_NAME || CONTROL.test(name)) {
    throw new DemoError(
      'ERR_DEMO_BAD_INPUT',
      `${what} must be 1-${MAX_NAME} characters, without control characters`,
    );
  }
  return name;
}

/** What a user is called before choosing: 用户 and the end of the openid. */
export const defaultName = (openId: string): string => `用户 ${openId.slice(-4)}`;

function body<S extends TSchema>(schema: S, value: unknown) {
  const checked = decode(schema, value);
  if (!checked.ok) throw new DemoError('ERR_DEMO_BAD_INPUT', checked.error.message);
  return checked.value;
}

function idParam(request: FastifyRequest): string {
  const { id } = request.params as { id?: string };
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw new DemoError('ERR_DEMO_BAD_INPUT', 'no such id');
  return id;
}

const notFound = () => new DemoError('ERR_DEMO_NOT_FOUND', 'no such drawing of yours', 404);

const ok = (data: unknown) => ({ code: 0, data });

export const demoRoutes: FastifyPluginAsync<DemoRoutesOptions> = async (app, { store, chat, imStore }) => {
  const user = (request: FastifyRequest): WxUserInfo & { openId: string } => {
    const info = (request.wxInfo?.userinfo ?? {}) as WxUserInfo;
    if (typeof info.openId !== 'string')
      throw new DemoError('ERR_DEMO_INTERNAL', 'session without an openid', 500);
    return info as WxUserInfo & { openId: string };
  };
  /** The chosen name, else the one WeChat's user data gave at login, else a default. */
  const profileOf = async (info: WxUserInfo & { openId: string }): Promise<Profile> =>
    (await store.profile(info.openId)) ?? {
      openId: info.openId,
      nickName: info.nickName && info.nickName !== '微信用户' ? info.nickName : defaultName(info.openId),
    };

  app.addHook('preHandler', app.hutong.requireSession);
  // wx.request sends `content-type: application/json` on every method, so a DELETE arrives with
  // that header and no body: an empty body is no body, anything else must be JSON.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text as string));
    } catch {
      done(new DemoError('ERR_DEMO_BAD_INPUT', 'the body must be JSON'), undefined);
    }
  });
  app.setErrorHandler((error, request, reply: FastifyReply) => {
    const code = (error as { code?: unknown }).code;
    let demo: DemoError;
    if (error instanceof DemoError) demo = error;
    else if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      demo = new DemoError(
        'ERR_DEMO_STROKE_TOO_LARGE',
        `a body is at most ${strokeLimits.maxBodyBytes / 1024} KB`,
        413,
      );
    else if (typeof code === 'string' && code.startsWith('FST_ERR_CTP'))
      demo = new DemoError('ERR_DEMO_BAD_INPUT', 'the body must be JSON');
    else if (code === 'ERR_TUNNEL_LIMIT' && isHutongError(error))
      demo = new DemoError('ERR_TUNNEL_LIMIT', error.message, error.status);
    else {
      request.log.error({ err: error }, 'demo route failed');
      demo = new DemoError('ERR_DEMO_INTERNAL', 'something went wrong on the server', 500);
    }
    return reply.code(demo.status).send({ code: 1, error: { code: demo.code, message: demo.message } });
  });

  app.get('/profile', async (request) => ok(await profileOf(user(request))));

  app.post('/profile', async (request) => {
    const { nickName } = body(ProfileBody, request.body);
    return ok(
      await store.saveProfile({ openId: user(request).openId, nickName: cleanName(nickName, 'nickName') }),
    );
  });

  app.get('/tunnel', async (request) => {
    const info = user(request);
    const { nickName } = await profileOf(info);
    return ok(chat.open({ ...info, nickName }));
  });

  app.get('/drawings', async (request) => ok({ drawings: await store.drawings(user(request).openId, 100) }));

  app.get('/drawings/:id', async (request) => {
    const drawing = await store.drawing(user(request).openId, idParam(request));
    if (!drawing) throw notFound();
    const { actionsJson, ...rest } = drawing;
    let actions: unknown = null;
    try {
      actions = JSON.parse(actionsJson);
    } catch {
      // Damaged in storage: sent as null, and the page says it cannot be replayed.
    }
    return ok({ drawing: { ...rest, actions } });
  });

  app.post('/drawings', { bodyLimit: strokeLimits.maxBodyBytes }, async (request) => {
    const input = body(DrawingBody, request.body);
    const problem = checkStroke(input);
    if (problem)
      throw new DemoError(
        problem.code,
        problem.message,
        problem.code === 'ERR_DEMO_STROKE_TOO_LARGE' ? 413 : 400,
      );
    const title = input.title === undefined || input.title.trim() === '' ? '' : input.title.trim();
    if ([...title].length > strokeLimits.maxTitle || CONTROL.test(title)) {
      throw new DemoError('ERR_DEMO_BAD_INPUT', `title must be at most ${strokeLimits.maxTitle} characters`);
    }
    const saved = await store.saveDrawing(
      user(request).openId,
      {
        title,
        width: input.width,
        height: input.height,
        color: input.color ?? '#1f2328',
        lineWidth: input.lineWidth ?? 4,
        actions: input.actions,
      },
      strokeLimits.maxDrawingsPerUser,
    );
    if (!saved)
      throw new DemoError('ERR_DEMO_LIMIT', `at most ${strokeLimits.maxDrawingsPerUser} drawings each`, 409);
    return ok({ drawing: saved });
  });

  app.delete('/drawings/:id', async (request) => {
    if (!(await store.deleteDrawing(user(request).openId, idParam(request)))) throw notFound();
    return ok({ deleted: true });
  });

  app.get('/im/contacts', async (request) => {
    const me = user(request).openId;
    const contacts = (await store.contacts(101)).filter((c) => c.openId !== me).slice(0, 100);
    return ok({ contacts });
  });

  app.get('/im/groups', async (request) => {
    const groups = await store.groupsOf(user(request).openId, 100);
    return ok({ groups: groups.map(({ id, name, members }) => ({ id, name, members })) });
  });

  app.post('/im/groups', async (request) => {
    const input = body(GroupBody, request.body);
    const me = user(request).openId;
    const name = cleanName(input.name, 'name');
    const members = [...new Set([me, ...input.members])];
    const group = { id: newId(), name, owner: me, members };
    await store.createGroup(group);
    await imStore.setMembers(group.id, members);
    return ok({ group: { id: group.id, name, members } });
  });
};
