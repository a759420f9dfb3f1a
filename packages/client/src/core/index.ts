/** The platform-free core: build a client for any host with `createClient({ platform })`. */
import { type ClientOptions, HutongClient } from './client.js';
import { Tunnel, type TunnelOptions } from './tunnel.js';

export type { Callbacks } from './callbacks.js';
export {
  type ClientOptions,
  type CodeLoginOptions,
  type DialectRequests,
  HutongClient,
  type LoginOptions,
  type RequestOptions,
  type SendWith,
  type SessionDialect,
} from './client.js';
export { type ClientErrorType, clientErrorTypes, LoginError, RequestError, TunnelError } from './errors.js';
export { ImClient, type ImConnectOptions } from './im-client.js';
export { ImError, type ImErrorType, imErrorTypes } from './im-errors.js';
export {
  historyUrlOf,
  type ImConversation,
  type ImHistory,
  type ImHistoryMessage,
  type ImHistoryOptions,
} from './im-history.js';
export { outboxKey } from './im-outbox.js';
export { createCommonData, IMSDK, type ImProtocal } from './im-sdk.js';
export type {
  ImEvents,
  ImLoginInfo,
  ImMessage,
  ImOptions,
  ImOutgoing,
  ImSent,
  ImState,
  ImStats,
} from './im-types.js';
export { fingerprint, imCodes, imFrameTypes } from './im-wire.js';
export type {
  LegacyUserData,
  Platform,
  PlatformRequest,
  PlatformResponse,
  PlatformSocket,
  PlatformStorage,
} from './platform.js';
export { Session, type StoredSession } from './session.js';
export {
  connectUrlOf,
  Tunnel,
  type TunnelErrorEvent,
  type TunnelEvents,
  type TunnelOptions,
  type TunnelState,
  tunnelErrorCodes,
  tunnelStatus,
} from './tunnel.js';
export { WEAPP_SESSION_CODE_KEY, WeappSessionRequests, weappSessionDialect } from './weapp-session.js';

/** A client whose `Tunnel` class is bound to it: `new client.Tunnel(url)`. */
export interface BoundClient extends HutongClient {
  Tunnel: new (serviceUrl: string, options?: TunnelOptions) => Tunnel;
}

export function createClient(options: ClientOptions): BoundClient {
  const client = new HutongClient(options) as BoundClient;
  client.Tunnel = class extends Tunnel {
    constructor(serviceUrl: string, options?: TunnelOptions) {
      super(client, serviceUrl, options);
    }
  };
  return client;
}
