/**
 * Duplicate-login arbitration (MobileIMSDK §4.5, docs/im.md#devices): which connection stays when
 * the same device logs in twice. A pure decision over plain values, so every rule is testable
 * without sockets.
 *
 * `firstLoginTime` is when a device first logged in on this run of the app; a reconnect sends it
 * back (`clientFirstLoginTime`, 0 on a first login). Of two connections of one device, the one with
 * the later first login is the newer install or app start and wins; equal times are the same app
 * reconnecting (the old socket is dropped without a kick-out notice); an earlier time is a stale
 * device coming back after it was replaced: it is the one kicked.
 */

/** What is known of a connection already logged in. */
export interface Incumbent {
  readonly device: string;
  readonly firstLoginTime: number;
}

export interface LoginAttempt {
  readonly device: string;
  /** What the client sent (0: a first login). */
  readonly clientFirstLoginTime: number;
}

export interface ArbitrationRules {
  /** One connection per user (MobileIMSDK's default) instead of one per device. */
  readonly singleDevice: boolean;
  /** Devices of one user per node. */
  readonly maxDevicesPerUser: number;
}

/**
 * `refuse`: no rival and the user already has the most devices allowed. `stale`: the login is
 * answered, then kicked — a newer login replaced this device. `admit`: the login stays; `kick`
 * rivals get a kick-out notice, `drop` rivals (the same app reconnecting) are closed silently.
 */
export type LoginDecision<D extends Incumbent> =
  | { kind: 'refuse' }
  | { kind: 'stale' }
  | { kind: 'admit'; kick: D[]; drop: D[] };

/** A login on this node against the user's devices connected here. */
export function arbitrate<D extends Incumbent>(
  attempt: LoginAttempt,
  present: ReadonlyMap<string, D>,
  rules: ArbitrationRules,
): LoginDecision<D> {
  const rivals = rules.singleDevice
    ? [...present.values()]
    : [present.get(attempt.device)].filter((d): d is D => d !== undefined);
  if (rivals.length === 0 && present.size >= rules.maxDevicesPerUser) return { kind: 'refuse' };
  const first = attempt.clientFirstLoginTime;
  if (first > 0 && rivals.some((rival) => first < rival.firstLoginTime)) return { kind: 'stale' };
  const kick: D[] = [];
  const drop: D[] = [];
  for (const rival of rivals) (first > 0 && first === rival.firstLoginTime ? drop : kick).push(rival);
  return { kind: 'admit', kick, drop };
}

/**
 * A login of the same user on another node, seen by this node's connection `here`: kick it (the
 * other login is newer or a first login), drop it (the same app reconnected there), or keep it
 * (the other login is the stale one; its node kicks it when it hears of this one).
 */
export function arbitrateRemote(
  remote: { device: string; clientFirstLoginTime: number },
  here: Incumbent,
  singleDevice: boolean,
): 'kick' | 'drop' | 'keep' {
  if (!singleDevice && here.device !== remote.device) return 'keep';
  const first = remote.clientFirstLoginTime;
  if (first <= 0 || first > here.firstLoginTime) return 'kick';
  return first === here.firstLoginTime ? 'drop' : 'keep';
}
