/**
 * What the client needs from its host. The core names no global (`wx`, `window`, `process`,
 * even `setTimeout`): a Platform supplies all of it, one small file per host (`platform/wx`,
 * `platform/browser`, `platform/node`).
 */
export interface Platform {
  /** One HTTP request. Resolves for every HTTP status; rejects only when no response came. */
  request(request: PlatformRequest): Promise<PlatformResponse>;
  /** Opens a WebSocket. Events arrive through the listeners set on the returned socket. */
  connect(url: string): PlatformSocket;
  storage: PlatformStorage;
  /** A fresh login code (`wx.login`). Rejects when the host cannot log in. */
  login(): Promise<string>;
  /** Legacy `wx.getUserInfo` data for the login request, when the host has it. */
  getUserInfo?(): Promise<LegacyUserData>;
  /** `wx.checkSession`: whether WeChat still holds the session_key of the last login. */
  checkSession?(): Promise<boolean>;
  /** App lifecycle and network: each returns a function that removes the listener. */
  onAppHide?(listener: () => void): () => void;
  onAppShow?(listener: () => void): () => void;
  onNetworkChange?(listener: (online: boolean) => void): () => void;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PlatformRequest {
  url: string;
  method: string;
  header: Record<string, string>;
  /** Sent as JSON when an object, as is when a string. */
  data?: unknown;
  timeoutMs?: number;
}

export interface PlatformResponse {
  statusCode: number;
  /** The body: parsed when it was JSON, else the text. */
  data: unknown;
  header: Record<string, string>;
}

export interface PlatformSocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  onOpen(listener: () => void): void;
  onMessage(listener: (data: string | ArrayBuffer) => void): void;
  onClose(listener: (code: number, reason: string) => void): void;
  onError(listener: (error: unknown) => void): void;
}

export interface PlatformStorage {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  remove(key: string): void;
}

export interface LegacyUserData {
  encryptedData: string;
  iv: string;
  rawData?: string;
  signature?: string;
  userInfo: Record<string, unknown>;
}
