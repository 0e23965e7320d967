import type { Diagnostic } from '../config/diagnostics.ts';

/** A Kubernetes object as plain data, ready to be serialised or sent to the API server. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/**
 * File contents that render needs but must not read itself (render is pure): the shell reads
 * them and passes them in.
 */
export interface RenderInputs {
  /** Contents of `network.weave.password`, when set. */
  weavePassword?: string;
  /** Contents of the etcd TLS files named in `network.calico.etcd`. */
  etcdTls?: { ca?: string; cert?: string; key?: string };
  /** Custom provider manifests: every file under `manifest_path`, sorted by path. */
  customManifests?: { path: string; text: string }[];
  /** The peering side-car script (dist/netpack-sidecar.cjs), when it runs on the node image. */
  peersScript?: string;
}

export interface RenderOptions {
  /** Put the values of file-backed Secrets into the output (off by default). */
  includeSecrets: boolean;
}

/** A Secret that apply creates but render did not print, with where its value comes from. */
export interface PendingSecret {
  namespace: string;
  name: string;
  /** Human description of the value's source, never the value itself. */
  source: string;
  /** Apply creates it only when it does not exist yet, and never updates it. */
  createOnly: boolean;
}

export interface RenderResult {
  objects: KubeObject[];
  pendingSecrets: PendingSecret[];
  diagnostics: Diagnostic[];
}

/** Labels every object netpack renders carries; apply prunes only objects with these. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'netpack';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** What one provider module returns; the orchestrator adds the common labels and rewrites images. */
export interface ProviderOutput {
  objects: KubeObject[];
  pendingSecrets: PendingSecret[];
  diagnostics?: Diagnostic[];
}
