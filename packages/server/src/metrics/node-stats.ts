/**
 * The dashboard's data. Every `intervalMs` this node reads a sample from its metrics registry,
 * reports it through the broker, and reads every live node's latest report into a per-node
 * history (ten minutes by default), so any node's dashboard shows the whole cluster.
 */

import type { NodeReports } from '@hutong/core';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ErrorLog } from './error-log.js';
import type { ClusterStats, HistoryPoint, NodeSample, NodeView } from './stats-view.js';

export type * from './stats-view.js';

type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];

const sumOf = (metrics: Map<string, MetricJson>, name: string, match: Record<string, string> = {}) => {
  let total = 0;
  for (const value of metrics.get(name)?.values ?? []) {
    const labels = value.labels as Record<string, string | number>;
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) total += value.value;
  }
  return total;
};

/** One sample of this node, read from the registry `/metrics` exports. */
export async function sampleNode(node: string, registry: Registry, errors: ErrorLog): Promise<NodeSample> {
  const metrics = new Map((await registry.getMetricsAsJSON()).map((m) => [m.name, m]));
  const logins = sumOf(metrics, 'hutong_logins_total');
  const loginsOk = sumOf(metrics, 'hutong_logins_total', { outcome: 'ok' });
  const byCode: Record<string, number> = {};
  for (const value of metrics.get('hutong_errors_total')?.values ?? []) {
    byCode[String(value.labels['code'])] = value.value;
  }
  return {
    node,
    at: Date.now(),
    tunnels: sumOf(metrics, 'hutong_tunnels'),
    sockets: sumOf(metrics, 'hutong_tunnel_sockets'),
    rooms: sumOf(metrics, 'hutong_tunnel_rooms'),
    imUsers: sumOf(metrics, 'hutong_im_users'),
    imDevices: sumOf(metrics, 'hutong_im_devices'),
    tunnelIn: sumOf(metrics, 'hutong_tunnel_messages_total', { direction: 'in' }),
    tunnelOut: sumOf(metrics, 'hutong_tunnel_messages_total', { direction: 'out' }),
    imAccepted: sumOf(metrics, 'hutong_im_messages_total', { event: 'accepted' }),
    imDelivered: sumOf(metrics, 'hutong_im_messages_total', { event: 'delivered' }),
    loginsOk,
    loginsFailed: logins - loginsOk,
    errors: byCode,
    recentErrors: errors.recent().slice(0, 20),
  };
}

export interface NodeStatsOptions {
  nodeId: string;
  registry: Registry;
  errors: ErrorLog;
  broker: NodeReports;
  logger?: Logger;
  /** Default 2000 ms. */
  intervalMs?: number;
  /** How much history to keep per node. Default 10 minutes. */
  keepMs?: number;
}

export class NodeStats {
  readonly #options: Required<Omit<NodeStatsOptions, 'logger'>> & { logger: Logger | undefined };
  readonly #history = new Map<string, HistoryPoint[]>();
  #latest = new Map<string, NodeSample>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;

  constructor(options: NodeStatsOptions) {
    this.#options = { intervalMs: 2000, keepMs: 10 * 60_000, logger: undefined, ...options };
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), this.#options.intervalMs).unref();
    void this.tick();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Samples, reports and reads the cluster once (also what the timer does). */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    const { nodeId, registry, errors, broker, keepMs } = this.#options;
    const own = await sampleNode(nodeId, registry, errors);
    let reports = new Map<string, NodeSample>([[nodeId, own]]);
    try {
      await broker.report(JSON.stringify(own));
      for (const [node, text] of await broker.reports()) {
        if (node === nodeId) continue;
        try {
          reports.set(node, JSON.parse(text) as NodeSample);
        } catch {
          // Not a sample: skipped, as a broker message we cannot read.
        }
      }
    } catch (error) {
      // The broker is down: this node still shows itself.
      this.#options.logger?.debug({ err: error }, 'node stats: broker unavailable');
      reports = new Map([...this.#latest].filter(([node]) => node !== nodeId).concat([[nodeId, own]]));
    }
    const cutoff = Date.now() - keepMs;
    for (const [node, sample] of reports) {
      const points = this.#history.get(node) ?? [];
      if (points.at(-1)?.at !== sample.at) {
        const { at, tunnelIn, tunnelOut, imAccepted, imDelivered, loginsOk, loginsFailed } = sample;
        points.push({ at, tunnelIn, tunnelOut, imAccepted, imDelivered, loginsOk, loginsFailed });
      }
      while (points.length > 0 && points[0]!.at < cutoff) points.shift();
      this.#history.set(node, points);
    }
    for (const node of this.#history.keys()) if (!reports.has(node)) this.#history.delete(node);
    this.#latest = reports;
  }

  /** What `/admin/api/stats` answers. */
  view(): ClusterStats {
    const nodes: NodeView[] = [];
    const recentErrors: ClusterStats['recentErrors'] = [];
    for (const [node, sample] of this.#latest) {
      const { recentErrors: recent, ...rest } = sample;
      nodes.push({ ...rest, history: this.#history.get(node) ?? [] });
      for (const error of recent) recentErrors.push({ ...error, node });
    }
    nodes.sort((a, b) => a.node.localeCompare(b.node));
    recentErrors.sort((a, b) => b.at - a.at);
    return {
      at: Date.now(),
      node: this.#options.nodeId,
      intervalMs: this.#options.intervalMs,
      nodes,
      recentErrors: recentErrors.slice(0, 30),
    };
  }
}
