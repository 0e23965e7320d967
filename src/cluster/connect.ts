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
 * `verbose`, says which context and server it uses. When the server cannot be reached (refused,
 * unknown host, no answer), says once, on stderr, which server and context that was and how to
 * pick another: the client's own error names only the host.
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
  // The API server's warnings, each once: a deprecated API in a custom manifest would otherwise
  // repeat on every read of it.
  const seen = new Set<string>();
  const requestTimeoutMs = opts.requestTimeout === undefined ? undefined : parseDuration(opts.requestTimeout);
  if (requestTimeoutMs === undefined && opts.requestTimeout !== undefined)
    throw new KubeconfigError(
      `--request-timeout must be a duration like 15s or 1m (got "${opts.requestTimeout}")`,
    );
  let hinted = false;
  const client = await createClusterClient(kc, {
    ...(opts.verbose ? { log: (l: string) => stderr(`netpack: ${l}`) } : {}),
    ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
    ...(opts.retry ? { retry: opts.retry } : {}),
    onWarning: (what, text) => {
      if (seen.has(text)) return;
      seen.add(text);
      stderr(`netpack: warning from the API server (${what}): ${text}`);
    },
    // Once, before the client's own error line: which server that was, and where to look.
    onUnreachable: () => {
      if (hinted) return;
      hinted = true;
      stderr(
        `netpack: the API server of ${describeTarget(target)} did not answer: check that the cluster is up and reachable from here, or pick another with --context NAME or --kubeconfig FILE`,
      );
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
