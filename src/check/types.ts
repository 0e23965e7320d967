/**
 * The words `netpack check` and its probe program share: what a probe is asked to run (a
 * `RunPlan`, sent as the query of one HTTP request) and what it answers (`ProbeAnswer`). Plain
 * data, JSON both ways; the probe has no Kubernetes API access, netpack carries both through the
 * API server's pod proxy.
 */

/** Port the pod probes listen on (inside the pod network). */
export const PROBE_PORT = 8477;
/** Port the host-network probes listen on (the node's own addresses). */
export const HOST_PROBE_PORT = 8478;
/** What every probe answers on `/echo`, so a test knows it reached a probe and not something else. */
export const PROBE_MAGIC = 'netpack-check-probe';

/**
 * One test, by letter (as the matrix shows it):
 * - `T` pod to pod, a small TCP request;
 * - `L` a large transfer both ways (download then upload), well above any pod MTU;
 * - `S` the probe Service's ClusterIP (small request);
 * - `N` DNS through node-local-dns (169.254.20.10);
 * - `D` DNS through the kube-dns Service IP;
 * - `H` node (host network) to pod;
 * - `P` pod to node (host network);
 * - `E` egress to `--external HOST:PORT`.
 */
export type TestLetter = 'T' | 'L' | 'S' | 'N' | 'D' | 'H' | 'P' | 'E';

export const TEST_NAMES: Record<TestLetter, string> = {
  T: 'pod to pod (small TCP request)',
  L: 'pod to pod, large transfer both ways',
  S: 'pod to the probe Service ClusterIP',
  N: 'DNS through node-local-dns',
  D: 'DNS through the kube-dns Service',
  H: 'node (host network) to pod',
  P: 'pod to node (host network)',
  E: 'egress to the external address',
};

/** What one probe does for one test. */
export type ProbeTest =
  | { id: string; kind: 'small'; host: string; port: number }
  | { id: string; kind: 'large'; host: string; port: number; bytes: number }
  | { id: string; kind: 'dns'; server: string; port: number; name: string; expect?: string }
  | { id: string; kind: 'connect'; host: string; port: number };

export interface RunPlan {
  /** Each test's own limit. */
  testTimeoutMs: number;
  /** Tests run at once (each is one or two connections). */
  parallel: number;
  tests: ProbeTest[];
}

/** Why a test failed, in words a script can switch on. */
export type FailureCode =
  | 'timeout' /** no connection or no answer in time */
  | 'stalled' /** connected and started, then data stopped coming */
  | 'refused'
  | 'unreachable'
  | 'reset'
  | 'bad-answer'
  | 'not-found' /** DNS: no such name */
  | 'error';

export interface ProbeResult {
  id: string;
  ok: boolean;
  ms: number;
  code?: FailureCode;
  /** For large transfers: which way failed and how many bytes went before it stalled. */
  detail?: string;
}

export interface ProbeAnswer {
  probe: typeof PROBE_MAGIC;
  node: string;
  /** MTU of each interface of the probe's network namespace (from /sys/class/net), when readable. */
  mtus: Record<string, number>;
  results: ProbeResult[];
}
