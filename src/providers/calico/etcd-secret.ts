import type { Diagnostic } from '../../config/diagnostics.ts';
import type { KubeObject, PendingSecret, RenderInputs, RenderOptions } from '../../render/types.ts';
import { ETCD_SECRET, NAMESPACE } from './constants.ts';
import type { CalicoSettings } from './settings.ts';

/** Secret data key, the `network.calico.etcd` field naming its file, and its RenderInputs field. */
const TLS_FILES = [
  { key: 'etcd-ca', field: 'ca_file', input: 'ca' },
  { key: 'etcd-cert', field: 'cert_file', input: 'cert' },
  { key: 'etcd-key', field: 'key_file', input: 'key' },
] as const;

export interface EtcdSecretResult {
  objects: KubeObject[];
  pendingSecrets: PendingSecret[];
  diagnostics: Diagnostic[];
}

/**
 * Secret calico-etcd-secrets, which calico-node, install-cni and kube-controllers mount at
 * /calico-secrets. Without etcd TLS files it is empty (the pods still mount it, as upstream).
 * With them, its values are printed only with `includeSecrets`; otherwise apply creates it from
 * the files and render names them in a PendingSecret.
 */
export function etcdSecret(s: CalicoSettings, inputs: RenderInputs, opts: RenderOptions): EtcdSecretResult {
  const files = TLS_FILES.filter((f) => s.etcd[f.field] !== undefined);
  const secret = (data?: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: ETCD_SECRET, namespace: NAMESPACE },
    ...(data ? { data } : {}),
  });
  if (files.length === 0) return { objects: [secret()], pendingSecrets: [], diagnostics: [] };

  if (!opts.includeSecrets) {
    const source = files.map((f) => `${f.key} from ${s.etcd[f.field]}`).join(', ');
    return {
      objects: [],
      // The files are the source of truth: apply keeps the Secret in step with them.
      pendingSecrets: [{ namespace: NAMESPACE, name: ETCD_SECRET, source, createOnly: false }],
      diagnostics: [],
    };
  }

  const data: Record<string, string> = {};
  const diagnostics: Diagnostic[] = [];
  for (const f of files) {
    const content = inputs.etcdTls?.[f.input];
    if (content === undefined) {
      diagnostics.push({
        code: 'InputNotRead',
        severity: 'error',
        path: `network.calico.etcd.${f.field}`,
        message: `the contents of ${s.etcd[f.field]} were not read`,
      });
      continue;
    }
    data[f.key] = Buffer.from(content, 'utf8').toString('base64');
  }
  if (diagnostics.length > 0) return { objects: [], pendingSecrets: [], diagnostics };
  return { objects: [secret(data)], pendingSecrets: [], diagnostics };
}
