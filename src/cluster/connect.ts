/** The shell's way in: kubeconfig rules, then a client. Only here and below is client-node loaded. */
import { createClusterClient } from './client.ts';
import { type KubeconfigOptions, loadKubeConfig } from './kubeconfig.ts';
import type { ClusterClient } from './types.ts';

export interface ConnectOptions extends KubeconfigOptions {
  verbose?: boolean;
}

export async function connect(opts: ConnectOptions, stderr: (line: string) => void): Promise<ClusterClient> {
  const { kc, warnings } = await loadKubeConfig(opts);
  for (const w of warnings) stderr(`netpack: ${w}`);
  // The API server's warnings, each once: a deprecated API in a custom manifest would otherwise
  // repeat on every read of it.
  const seen = new Set<string>();
  return createClusterClient(kc, {
    ...(opts.verbose ? { log: (l: string) => stderr(`netpack: ${l}`) } : {}),
    onWarning: (what, text) => {
      if (seen.has(text)) return;
      seen.add(text);
      stderr(`netpack: warning from the API server (${what}): ${text}`);
    },
  });
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
