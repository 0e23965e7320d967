/**
 * The real ClusterClient: raw HTTP(S) to the API server with client-node's KubeConfig supplying
 * authentication and TLS. Raw, because client-node 1.4's KubernetesObjectApi rebuilds built-in
 * kinds from its typed models and silently drops fields it does not know; apply must send the
 * rendered bytes as they are. Made of parts in client/, each testable alone: the connection
 * (TLS, credentials, one request), the transport (retries, timeouts, warnings, errors),
 * discovery, watch and the verbs.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { Connection } from './client/connection.ts';
import { Discovery } from './client/discovery.ts';
import { Transport, type TransportOptions } from './client/transport.ts';
import { Verbs } from './client/verbs.ts';
import type { ClusterClient } from './types.ts';

export { warningTexts } from './client/connection.ts';
export { DEFAULT_RETRY, type RetryPolicy } from './client/retry.ts';
export { DEFAULT_REQUEST_TIMEOUT_MS } from './client/transport.ts';

export interface ClientOptions extends TransportOptions {
  /**
   * What the client talks to, for error messages: `context "c" (server URL, kubeconfig FILE)`;
   * by default the context and server of the kubeconfig.
   */
  target?: string;
}

/** Builds a client for the current context of `kc`. */
export async function createClusterClient(kc: KubeConfig, opts: ClientOptions = {}): Promise<ClusterClient> {
  const connection = await Connection.open(kc, opts.target);
  const transport = new Transport(connection, opts);
  const discovery = new Discovery((path, what) => transport.readJson(path, what));
  const v = new Verbs(transport, discovery);
  return {
    stats: connection.stats,
    resource: (apiVersion, kind) => discovery.resource(apiVersion, kind),
    learnCrd: (crd) => discovery.learnCrd(crd),
    serverVersion: () => v.serverVersion(),
    get: (ref) => v.get(ref),
    list: (apiVersion, kind, o) => v.list(apiVersion, kind, o),
    watch: (apiVersion, kind, o, onEvent, signal) => v.watch(apiVersion, kind, o, onEvent, signal),
    apply: (obj, o) => v.apply(obj, o),
    create: (obj, o) => v.create(obj, o),
    replace: (obj) => v.replace(obj),
    patchJson: (ref, ops) => v.patchJson(ref, ops),
    delete: (ref, o) => v.delete(ref, o),
    proxyGet: (path, timeoutMs, signal) => transport.proxyGet(path, timeoutMs, signal),
    close: () => connection.close(),
  };
}
