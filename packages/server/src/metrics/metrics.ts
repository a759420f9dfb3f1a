/**
 * This node's metrics in one prom-client registry: `/metrics` exports it in Prometheus format, and
 * the dashboard's samples are read from it, so both show the same numbers. The hubs keep plain
 * counters on their hot paths; the registry reads them when it is collected.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { AuthService } from '../auth/auth-service.js';
import type { ImHub } from '../im/im-hub.js';
import type { TunnelHub } from '../tunnel/tunnel-hub.js';
import type { TunnelRouter } from '../tunnel/tunnel-router.js';
import type { ErrorLog } from './error-log.js';
import type { LatencyHistogram } from './latency.js';

export interface MetricSources {
  nodeId: string;
  tunnels: TunnelHub;
  router: TunnelRouter;
  im: ImHub;
  auth: AuthService;
  errors: ErrorLog;
  /** Store and broker latency (`hutong_backend_seconds`), filled by the timed wrappers. */
  latency?: LatencyHistogram;
  /** Node's process metrics (CPU, memory, event-loop delay, GC); they sample continuously. */
  processMetrics?: boolean;
  /** The WebSocket upgrades' per-address cap (`refused`: how many it turned away). */
  upgrades?: { readonly refused: number };
}

type Labelled = readonly [labels: Record<string, string>, value: number];

/** A counter fed from a monotonic number kept elsewhere: each collection adds what it grew by. */
function counterFrom(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => Iterable<Labelled>,
): void {
  const seen = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      for (const [labels, value] of read()) {
        const key = JSON.stringify(labels);
        const grew = value - (seen.get(key) ?? 0);
        if (grew > 0) this.inc(labels, grew);
        seen.set(key, value);
      }
    },
  });
}

function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

const one = (value: number): Labelled[] => [[{}, value]];

export function createMetrics(sources: MetricSources): Registry {
  const { tunnels, router, im, auth, errors } = sources;
  const registry = new Registry();
  registry.setDefaultLabels({ node: sources.nodeId });
  if (sources.processMetrics) collectDefaultMetrics({ register: registry });
  if (sources.latency) registry.registerMetric(sources.latency);

  gauge(
    registry,
    'hutong_tunnels',
    'Tunnels on this node, connected or waiting for their socket',
    () => tunnels.size,
  );
  gauge(
    registry,
    'hutong_tunnel_sockets',
    'Tunnel WebSocket connections open on this node',
    () => tunnels.connected,
  );
  gauge(
    registry,
    'hutong_tunnel_rooms',
    'Rooms with at least one tunnel on this node',
    () => tunnels.rooms.size,
  );
  gauge(registry, 'hutong_im_users', 'IM users with a device logged in on this node', () => im.userCount);
  gauge(registry, 'hutong_im_devices', 'IM devices logged in on this node', () => im.deviceCount);

  counterFrom(
    registry,
    'hutong_tunnel_messages_total',
    'Tunnel messages from clients (in) and pushed to them (out)',
    ['direction'],
    () => [
      [{ direction: 'in' }, tunnels.stats.messagesIn],
      [{ direction: 'out' }, tunnels.stats.messagesOut],
    ],
  );
  counterFrom(
    registry,
    'hutong_im_messages_total',
    'IM data messages by what happened to them',
    ['event'],
    () => [
      [{ event: 'accepted' }, im.stats.accepted],
      [{ event: 'delivered' }, im.stats.delivered],
      [{ event: 'resent' }, im.stats.resent],
      [{ event: 'duplicate' }, im.stats.duplicates],
    ],
  );
  counterFrom(registry, 'hutong_logins_total', 'Logins by outcome: ok, or the error code', ['outcome'], () =>
    [...auth.logins].map(([outcome, count]) => [{ outcome }, count] as const),
  );
  counterFrom(
    registry,
    'hutong_errors_total',
    'Error answers by code (HTTP ERR_*, IM im:<code>)',
    ['code'],
    () => [...errors.counts].map(([code, count]) => [{ code }, count] as const),
  );
  counterFrom(registry, 'hutong_webhook_retries_total', 'Tunnel webhook calls retried', [], () =>
    one(router.stats.webhookRetries),
  );
  counterFrom(registry, 'hutong_webhook_drops_total', 'Tunnel webhook calls given up', [], () =>
    one(router.stats.webhookDrops),
  );
  counterFrom(registry, 'hutong_broker_errors_total', 'Broker calls that failed (tunnels and IM)', [], () =>
    one(router.stats.brokerErrors + im.stats.brokerErrors),
  );
  counterFrom(registry, 'hutong_tunnel_bad_frames_total', 'Tunnel frames refused or ignored', [], () =>
    one(tunnels.stats.badFrames),
  );
  counterFrom(
    registry,
    'hutong_tunnel_slow_consumers_total',
    'Tunnel sockets closed for not reading',
    [],
    () => one(tunnels.stats.slowConsumers),
  );
  counterFrom(
    registry,
    'hutong_im_closed_total',
    'IM connections closed by a limit or a session end, by reason',
    ['reason'],
    () => [
      [{ reason: 'unlogged_flood' }, im.stats.unloggedFloods],
      [{ reason: 'slow_consumer' }, im.stats.slowConsumers],
      [{ reason: 'session_ended' }, im.stats.sessionsEnded],
    ],
  );
  counterFrom(
    registry,
    'hutong_connections_refused_total',
    'WebSocket upgrades refused for too many open connections from one address',
    [],
    () => one(sources.upgrades?.refused ?? 0),
  );
  counterFrom(
    registry,
    'hutong_tunnel_heartbeat_timeouts_total',
    'Tunnel sockets closed for silence',
    [],
    () => one(tunnels.stats.heartbeatTimeouts),
  );
  return registry;
}
