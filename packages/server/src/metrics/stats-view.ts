/**
 * What the dashboard reads from `/admin/api/stats`: types only, no imports, so the dashboard page
 * (packages/server/admin) shares them with the server.
 */

/** An error this node answered with. */
export interface RecordedError {
  at: number;
  code: string;
  /** Where it was answered: `http`, `im`, `tunnel`, `login`. */
  source: string;
  message: string;
}

/** Counts now (gauges) and totals since start (counters): rates are differences between samples. */
export interface NodeSample {
  node: string;
  at: number;
  tunnels: number;
  sockets: number;
  rooms: number;
  imUsers: number;
  imDevices: number;
  tunnelIn: number;
  tunnelOut: number;
  imAccepted: number;
  imDelivered: number;
  loginsOk: number;
  loginsFailed: number;
  errors: Record<string, number>;
  recentErrors: RecordedError[];
}

export type HistoryPoint = Pick<
  NodeSample,
  'at' | 'tunnelIn' | 'tunnelOut' | 'imAccepted' | 'imDelivered' | 'loginsOk' | 'loginsFailed'
>;

export interface NodeView extends Omit<NodeSample, 'recentErrors'> {
  history: HistoryPoint[];
}

export interface ClusterStats {
  at: number;
  /** The node answering. */
  node: string;
  intervalMs: number;
  nodes: NodeView[];
  /** Latest errors across nodes, newest first. */
  recentErrors: (RecordedError & { node: string })[];
}
