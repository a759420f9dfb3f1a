import { conversationOf, type MessageStore, messageView, sessionToken } from '@hutong/core';
import { decode, HutongError, parseJson, SignedRequest } from '@hutong/protocol/schemas';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import { unwrap, verifySigned } from '../tunnel/tunnel-routes.js';

export interface ImRoutesOptions {
  store: MessageStore;
  auth: Pick<AuthService, 'check'>;
  /** Keys for the business side's signed calls (the tunnel signature key). */
  keys: readonly string[];
}

const HistoryQuery = Type.Object(
  {
    with: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    after: Type.Optional(Type.Integer({ minimum: 0 })),
    /** The latest messages below this seq instead (scrolling back); a huge value means the newest. */
    before: Type.Optional(Type.Integer({ minimum: 1 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);

const GroupData = Type.Object(
  {
    groupId: Type.String({ minLength: 1, maxLength: 255 }),
    members: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 10_000 }),
  },
  { title: 'group members' },
);

/**
 * IM over HTTP (under `/im`): `GET /history` — a conversation of the session's user (its openid) by
 * sequence range, with read positions; `POST /groups` — the business side sets a group's members
 * (signed like the Wafer tunnel API).
 */
export const imRoutes: FastifyPluginAsync<ImRoutesOptions> = async (app, { store, auth, keys }) => {
  app.get<{
    Querystring: { with?: string; group?: string; after?: number; before?: number; limit?: number };
  }>('/history', { schema: { querystring: HistoryQuery } }, async (request) => {
    const { user } = await auth.check(sessionToken(request.headers));
    const me = user.openid;
    const { with: peer, group, after, before, limit = 50 } = request.query;
    if ((peer === undefined) === (group === undefined)) {
      throw new HutongError('ERR_BAD_REQUEST', 'name one conversation: `with` (a user) or `group`');
    }
    if (after !== undefined && before !== undefined) {
      throw new HutongError('ERR_BAD_REQUEST', 'page forwards (`after`) or back (`before`), not both');
    }
    if (group !== undefined && !(await store.members(group)).includes(me)) {
      throw new HutongError('ERR_FORBIDDEN', 'not a member of that group');
    }
    const conv = group !== undefined ? conversationOf(me, group, true) : conversationOf(me, peer!, false);
    const [messages, reads] = await Promise.all([
      before === undefined
        ? store.history(conv, after ?? 0, limit)
        : store.historyBefore(conv, before, limit),
      store.reads(conv),
    ]);
    return {
      conv,
      messages: messages.map(messageView),
      reads,
    };
  });

  app.post<{ Body: SignedRequest }>('/groups', { schema: { body: SignedRequest } }, async (request) => {
    verifySigned(request.body, keys);
    const { groupId, members } = unwrap(
      decode(GroupData, unwrap(parseJson(request.body.data, 'ERR_BAD_REQUEST'))),
    );
    await store.setMembers(groupId, members);
    return { code: 0, message: 'OK', data: { groupId, members: await store.members(groupId) } };
  });
};
