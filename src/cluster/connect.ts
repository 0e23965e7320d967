/** The shell's way in: kubeconfig rules, then a client. Only here and below is client-node loaded. */
import { createClusterClient, type RetryPolicy } from './client.ts';
import {
  describeTarget,
  KubeconfigError,
  type KubeconfigOptions,
  type KubeTarget,
  loadKubeConfig,
} from './kubeconfig.ts';
import type { ClusterClient } from './types.ts';

export interface ConnectOptions extends KubeconfigOptions {
  verbose?: boolean;
  /** Retries of each request; the client's default when absent. */
  retry?: RetryPolicy;
  /** `--request-timeout`: how long one request may go unanswered (e.g. `15s`); the client's default when absent. */
  requestTimeout?: string;
}

/** A client that also says what it talks to: the context, cluster, server and kubeconfig files. */
export type ConnectedClient = ClusterClient & { readonly target: KubeTarget };

/**
 * Loads the kubeconfig (its problems are `KubeconfigError`s, exit 2) and makes a client. With
 * `verbose`, says which context and server it uses (and that it speaks plain HTTP, which kubectl
 * does without a word). The client's errors name the context, server and kubeconfig themselves,
 * in their one line.
 */
export async function connect(
  opts: ConnectOptions,
  stderr: (line: string) => void,
): Promise<ConnectedClient> {
  const { kc, warnings, target } = await loadKubeConfig(opts);
  if (opts.verbose) {
    stderr(`netpack: using ${describeTarget(target)}`);
    if (target.skipped.length > 0)
      stderr(`netpack: KUBECONFIG: skipped ${target.skipped.join(', ')} (no such file), as kubectl does`);
  }
  for (const w of warnings) stderr(`netpack: ${w}`);
  if (opts.verbose && target.server.startsWith('http:'))
    stderr(`netpack: talking to ${target.server} in plain HTTP, as the kubeconfig says`);
  // The API server's warnings, each once: a deprecated API in a custom manifest would otherwise
  // repeat on every read of it.
  const seen = new Set<string>();
  const requestTimeoutMs = opts.requestTimeout === undefined ? undefined : parseDuration(opts.requestTimeout);
  if (requestTimeoutMs === undefined && opts.requestTimeout !== undefined)
    throw new KubeconfigError(
      `--request-timeout must be a duration like 15s or 1m (got "${opts.requestTimeout}")`,
    );
  const client = await createClusterClient(kc, {
    ...(opts.verbose ? { log: (l: string) => stderr(`netpack: ${l}`) } : {}),
    ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
    ...(opts.retry ? { retry: opts.retry } : {}),
    // Errors name the context, server and kubeconfig: "is this the right cluster?"
    target: describeTarget(target),
    onWarning: (what, text) => {
      if (seen.has(text)) return;
      seen.add(text);
      stderr(`netpack: warning from the API server (${what}): ${text}`);
    },
  });
  return Object.assign(client, { target });
}

/** `300`, `300s`, `5m`, `1h`, `1m30s` to milliseconds; undefined when unreadable. */
export function parseDuration(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const re = /(\d+)(ms|h|m|s)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
    consumed = re.lastIndex;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}
