import { HutongError, type TunnelEvent } from '@hutong/protocol';
import type { Logger } from 'pino';
import type { Tunnel } from './tunnel.js';

/**
 * Hands a tunnel's events to its receiver one after another, in the order they happened (the
 * TunnelReceiver guarantee): each waits for the previous one to be handled. When none is in flight
 * the receiver is called at once (an in-process handler then runs in this tick). An idle tunnel
 * holds no promise. `settled` learns the outcome: no code when the receiver took the event, an
 * error code when not. Failures never reach the socket; unexpected ones are logged.
 */
export function deliverEvent(
  tunnel: Tunnel,
  event: TunnelEvent,
  logger: Logger | undefined,
  settled?: (errorCode?: string) => void,
): void {
  const deliver = () =>
    tunnel.receiver.deliver(event).then(
      () => settled?.(),
      (err: unknown) => {
        // A webhook receiver logs its own drops (ERR_TUNNEL_DELIVERY); anything else is a bug.
        if (!(err instanceof HutongError && err.code === 'ERR_TUNNEL_DELIVERY')) {
          logger?.error({ err, tunnelId: tunnel.id, type: event.type }, 'tunnel event handler failed');
        }
        settled?.('ERR_TUNNEL_DELIVERY');
      },
    );
  tunnel.inFlight += 1;
  tunnel.events = (tunnel.events ? tunnel.events.then(deliver) : deliver()).then(() => {
    tunnel.inFlight -= 1;
    if (tunnel.inFlight === 0) tunnel.events = undefined;
  });
}
