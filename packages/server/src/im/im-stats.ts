/** What the IM hub counts (metrics, the dashboard, tests). Plain counters, only ever increased. */
export interface ImStats {
  accepted: number;
  duplicates: number;
  delivered: number;
  resent: number;
  badFrames: number;
  foreignAcks: number;
  kicked: number;
  brokerErrors: number;
  /** Connections closed for too many frames before login (4029). */
  unloggedFloods: number;
  /** Connections closed because their send buffer passed `maxBufferedBytes` (4008). */
  slowConsumers: number;
  /** Connections closed because their session was logged out (4401) or expired (4440). */
  sessionsEnded: number;
  /** Data frames refused because the node or the connection was behind (1504, backpressure). */
  busy: number;
}

export const newImStats = (): ImStats => ({
  accepted: 0,
  duplicates: 0,
  delivered: 0,
  resent: 0,
  badFrames: 0,
  foreignAcks: 0,
  kicked: 0,
  brokerErrors: 0,
  unloggedFloods: 0,
  slowConsumers: 0,
  sessionsEnded: 0,
  busy: 0,
});
