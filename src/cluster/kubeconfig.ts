/**
 * Which cluster to talk to, by kubectl's rules: `--kubeconfig`, else `$KUBECONFIG` (a list,
 * merged), else `~/.kube/config`, else the in-cluster service account; then `--context`.
 * client-node is imported here, lazily: `validate` and `render` never pay for it.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterError } from './types.ts';

export interface KubeconfigOptions {
  /** `--kubeconfig`: this file only. */
  kubeconfig?: string;
  /** `--context`: a context of the kubeconfig instead of its current-context. */
  context?: string;
}

/** A --kubeconfig or --context flag that names nothing: the command line is wrong (exit 2). */
export class KubeconfigFlagError extends ClusterError {}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Where the kubeconfig comes from, for messages. */
export type KubeconfigSource = 'flag' | 'env' | 'home' | 'in-cluster';

export async function loadKubeConfig(
  opts: KubeconfigOptions,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): Promise<{ kc: KubeConfig; source: KubeconfigSource; warnings: string[] }> {
  // Only the KubeConfig module: the package index also loads every generated API client, which
  // netpack does not use (it speaks raw HTTP) and which triples the import time.
  const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
  const kc = new KubeConfig();
  let source: KubeconfigSource;
  try {
    if (opts.kubeconfig) {
      if (!existsSync(opts.kubeconfig))
        throw new KubeconfigFlagError(`--kubeconfig ${opts.kubeconfig}: no such file`);
      kc.loadFromFile(opts.kubeconfig);
      source = 'flag';
    } else if (env.KUBECONFIG) {
      // client-node merges the list the way kubectl does (the first file's current-context wins).
      const saved = process.env.KUBECONFIG;
      process.env.KUBECONFIG = env.KUBECONFIG;
      try {
        kc.loadFromDefault();
      } finally {
        process.env.KUBECONFIG = saved;
      }
      source = 'env';
    } else if (existsSync(join(home, '.kube', 'config'))) {
      kc.loadFromFile(join(home, '.kube', 'config'));
      source = 'home';
    } else if (existsSync(SERVICE_ACCOUNT_TOKEN)) {
      kc.loadFromCluster();
      source = 'in-cluster';
    } else {
      throw new ClusterError(
        'no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config, or run inside a cluster',
      );
    }
  } catch (e) {
    if (e instanceof ClusterError) throw e;
    throw new ClusterError(`cannot load the kubeconfig: ${(e as Error).message}`);
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeconfigFlagError(
        `--context ${opts.context}: no such context (the kubeconfig has: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ClusterError('the kubeconfig has no current context; pass --context NAME');
  const warnings: string[] = [];
  if (cluster.skipTLSVerify && cluster.server.startsWith('https:')) {
    warnings.push(
      `TLS certificate of ${cluster.server} is NOT verified: the kubeconfig sets insecure-skip-tls-verify`,
    );
  }
  if (cluster.server.startsWith('http:')) {
    warnings.push(`talking to ${cluster.server} in plain HTTP, as the kubeconfig says`);
  }
  return { kc, source, warnings };
}
