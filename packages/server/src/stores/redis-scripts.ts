/**
 * The Lua scripts behind RedisSessionStore. Each runs atomically on the server, so every store
 * operation is one round trip and no other client sees it half done.
 *
 * Key layout under the prefix P (`hutong:` by default):
 *   P user:<ref>            hash: the user (absent optional fields are null); <ref> = <bytes(appid)>:<appid>:<openid>
 *   P uid:<id>              string: <ref>, the id → (appid, openid) index
 *   P session:<skey>        hash: the session plus `userRef`; PEXPIRE = min(expiresAt, idleExpiresAt) - now
 *   P user-sessions:<id>    set: the user's skeys, kept at least as long as its longest session
 *
 * Scripts derive some keys from ARGV (the user from a session, sessions from a set), so the store
 * needs a standalone Redis (or one where all keys share a slot), not a Cluster.
 */

/** KEYS: user. ARGV: prefix, ref, newId, appid, openid, now, then (mode, value) for unionid,
 * profile, phoneNumber where mode is '' (keep), 'n' (clear) or 's' (set). Returns the user hash. */
const upsertUser = `
local key = KEYS[1]
local id = redis.call('HGET', key, 'id')
if not id then
  id = ARGV[3]
  redis.call('HSET', key, 'id', id, 'appid', ARGV[4], 'openid', ARGV[5], 'createdAt', ARGV[6])
  redis.call('SET', ARGV[1] .. 'uid:' .. id, ARGV[2])
end
redis.call('HSET', key, 'updatedAt', ARGV[6])
local names = { 'unionid', 'profile', 'phoneNumber' }
for i = 1, 3 do
  local mode = ARGV[5 + 2 * i]
  if mode == 's' then
    redis.call('HSET', key, names[i], ARGV[6 + 2 * i])
  elseif mode == 'n' then
    redis.call('HDEL', key, names[i])
  end
end
return redis.call('HGETALL', key)`;

/** KEYS: uid index. ARGV: prefix. Returns the user hash or nil. */
const getUserById = `
local ref = redis.call('GET', KEYS[1])
if not ref then return nil end
return redis.call('HGETALL', ARGV[1] .. 'user:' .. ref)`;

/** KEYS: session, user-sessions. ARGV: prefix, replace ('1'|'0'), ttl ms, skey, field/value pairs.
 * Returns the skeys of the sessions it replaced. */
const createSession = `
local replaced = {}
if ARGV[2] == '1' then
  for _, skey in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    if redis.call('DEL', ARGV[1] .. 'session:' .. skey) == 1 then replaced[#replaced + 1] = skey end
  end
  redis.call('DEL', KEYS[2])
end
local ttl = tonumber(ARGV[3])
if ttl <= 0 then return replaced end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SADD', KEYS[2], ARGV[4])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return replaced`;

/** KEYS: session. ARGV: prefix. Returns { session hash, user hash } or nil. */
const getSession = `
local ref = redis.call('HGET', KEYS[1], 'userRef')
if not ref then return nil end
return { redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', ARGV[1] .. 'user:' .. ref) }`;

/** KEYS: session. ARGV: prefix, skey, lastSeenAt, idleExpiresAt, now (the store's clock, for the
 * TTL). A session expired at lastSeenAt is left alone. */
const touchSession = `
local v = redis.call('HMGET', KEYS[1], 'expiresAt', 'idleExpiresAt', 'userId')
if not v[1] then return 0 end
local expires, seen = tonumber(v[1]), tonumber(ARGV[3])
if expires <= seen or tonumber(v[2]) <= seen then return 0 end
redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[3], 'idleExpiresAt', ARGV[4])
local ttl = math.min(expires, tonumber(ARGV[4])) - tonumber(ARGV[5])
local set = ARGV[1] .. 'user-sessions:' .. v[3]
if ttl <= 0 then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', set, ARGV[2])
  return 0
end
redis.call('PEXPIRE', KEYS[1], ttl)
if redis.call('PTTL', set) < ttl then redis.call('PEXPIRE', set, ttl) end
return 1`;

/** KEYS: session. ARGV: prefix, skey. Returns 1 when a session was deleted. */
const deleteSession = `
local user = redis.call('HGET', KEYS[1], 'userId')
if not user then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[1] .. 'user-sessions:' .. user, ARGV[2])
return 1`;

/** KEYS: user-sessions. ARGV: prefix. Returns the skeys of the sessions it deleted. */
const deleteUserSessions = `
local deleted = {}
for _, skey in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('DEL', ARGV[1] .. 'session:' .. skey) == 1 then deleted[#deleted + 1] = skey end
end
redis.call('DEL', KEYS[1])
return deleted`;

/** KEYS: user-sessions. ARGV: prefix. Returns the session hashes; prunes skeys whose key expired. */
const listUserSessions = `
local out = {}
for _, skey in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local h = redis.call('HGETALL', ARGV[1] .. 'session:' .. skey)
  if #h == 0 then redis.call('SREM', KEYS[1], skey) else out[#out + 1] = h end
end
return out`;

export const redisScripts = {
  upsertUser: { numberOfKeys: 1, lua: upsertUser },
  getUserById: { numberOfKeys: 1, lua: getUserById },
  createSession: { numberOfKeys: 2, lua: createSession },
  getSession: { numberOfKeys: 1, lua: getSession },
  touchSession: { numberOfKeys: 1, lua: touchSession },
  deleteSession: { numberOfKeys: 1, lua: deleteSession },
  deleteUserSessions: { numberOfKeys: 1, lua: deleteUserSessions },
  listUserSessions: { numberOfKeys: 1, lua: listUserSessions },
} as const;

export type RedisScriptName = keyof typeof redisScripts;
