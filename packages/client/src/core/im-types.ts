/** closed → connecting → online ⇄ reconnecting → closed. */
export type ImState = 'closed' | 'connecting' | 'online' | 'reconnecting';

export interface ImOptions {
  /** The IM WebSocket, e.g. `wss://api.example.com/im`. */
  url: string;
  /** Names this device to the server (`extra: {"deviceId"}`); devices of one user are online side by side. */
  deviceId?: string;
  /** Keep-alive (type 1) interval. Default 15 s; Hutong closes a link silent for 20 s. */
  keepAliveMs?: number;
  /** No frame this long after a keep-alive: the link is dead, reconnect. Default 10 s. */
  pongTimeoutMs?: number;
  /** No login response this long after the socket opened: reconnect. Default 10 s. */
  loginTimeoutMs?: number;
  /** First reconnect wait; doubles each try, scaled by a random 0.5–1. Default 1 s. */
  reconnectDelayMs?: number;
  /** Longest wait between tries. Default 30 s. */
  maxReconnectDelayMs?: number;
  /** Resend a message the server has not acknowledged after this long online. Default 5 s. */
  resendAfterMs?: number;
  /** Give a message up (`messagesLost`) when unaccepted this long after its first transmission. Default 60 s. */
  lostAfterMs?: number;
  /** Data frames per second, under the server's limit (Hutong: 50 per connection). Default 40. */
  maxSendRate?: number;
  /** Messages waiting for the server; more are refused with ERR_QUEUE_FULL. Default 1000. */
  maxOutbox?: number;
  /** Largest frame, in UTF-8 bytes (Hutong and MobileIMSDK: 64 KiB). */
  maxFrameBytes?: number;
  /** Received message ids remembered to drop duplicates. Default 2000. */
  dedupeSize?: number;
  /** `GET` history here. Default: the IM URL with http(s) and `/history` appended (`https://…/im/history`). */
  historyUrl?: string;
}

/** A message received (type 2). `sentAt`: when the server accepted it. */
export interface ImMessage {
  sid: number;
  seq: number;
  conv: string;
  from: string;
  to: string;
  /** The group id, for a group message. */
  group?: string;
  content: string;
  typeu: number;
  fp: string;
  sentAt: number;
}

/** A message of ours, as queued. */
export interface ImOutgoing {
  fp: string;
  to: string;
  content: string;
  typeu: number;
}

/** The server accepted (stored and numbered) a message of ours. */
export interface ImSent {
  fp: string;
  sid: number;
  seq: number;
  conv: string;
}

/** What the last login frame said (MobileIMSDK's `PLoginInfo`). */
export interface ImLoginInfo {
  loginUserId: string;
  loginToken: string;
  extra: string | null;
  firstLoginTime: number;
}

/** Typed events (a type, not an interface, so it fits the emitter's `Record<string, unknown>`). */
export type ImEvents = {
  state: { from: ImState; to: ImState };
  /** Logged in; `reconnected`: again after a drop (a message backlog follows). */
  online: { reconnected: boolean; firstLoginTime: number };
  message: ImMessage;
  /** The server accepted a message of ours (its ACK); the `send` promise resolves with the same. */
  accepted: ImSent & { to: string };
  /** A device of the recipient has the message. */
  delivered: { fp: string; by: string; device: string };
  /** `by` has read `conv` up to `seq` (another user, or this user on another device). */
  read: { conv: string; seq: number; by: string };
  /** Messages the server never accepted within `lostAfterMs`; their promises reject ERR_IM_LOST. */
  messagesLost: ImOutgoing[];
  /** The server refused a message for good (1403); its promise rejects ERR_IM_REFUSED. */
  refused: { message: ImOutgoing; code: number };
  /** A newer login of this device took over (type 54); the client is closed. */
  kicked: { code: number; reason: string };
  /**
   * The login was refused (code from the server, -1 when no session could be had), or the server
   * closed the link because its session was logged out (4401) or expired with no fresh one to be
   * had (4440); the client is closed. Log in again, then `connect()`.
   */
  authFailed: { code: number; reason: string };
  /** An error frame from the server (type 52), for information. */
  error: { code: number; message: string };
  ping: undefined;
  pong: undefined;
  /** Diagnostics; `topic` `pingpong` for keep-alives. */
  log: { topic: 'core' | 'pingpong'; message: string };
};

export interface ImStats {
  /** Frames that could not be read or had an unknown type (ignored). */
  badFrames: number;
  received: number;
  /** Messages received again (dropped, acknowledged again). */
  duplicates: number;
  /** Data frames written, first transmissions and resends. */
  sent: number;
  resent: number;
  logins: number;
}
