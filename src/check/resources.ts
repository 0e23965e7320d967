/**
 * Pure: the objects a check deploys, all in a namespace of its own so that one delete removes
 * them (and a later run finds what a killed one left by the namespace's label). Least
 * privilege: no service account token, non-root, read-only root file system, every capability
 * dropped; only the host probe DaemonSet uses the host network (for node ↔ pod tests).
 */
import { NODE_IMAGE } from '../render/node-image.ts';
import { COMPONENT_LABEL, type KubeObject, MANAGED_BY, MANAGED_BY_LABEL } from '../render/types.ts';
import { HOST_PROBE_PORT, PROBE_PORT } from './types.ts';

export const CHECK_NAMESPACE = 'netpack-check';
export const CHECK_COMPONENT = 'check';
export const POD_PROBE = 'netpack-check';
export const HOST_PROBE = 'netpack-check-host';
export const PROBE_CONFIGMAP = 'netpack-probe';
export const NAME_LABEL = 'app.kubernetes.io/name';

const labels = (name?: string): Record<string, string> => ({
  ...(name ? { [NAME_LABEL]: name } : {}),
  [MANAGED_BY_LABEL]: MANAGED_BY,
  [COMPONENT_LABEL]: CHECK_COMPONENT,
});

export interface CheckObjectsOptions {
  /** The bundled probe program (dist/netpack-probe.cjs). */
  probeScript: string;
  /** Only these nodes (`--nodes`); every Linux node when absent. */
  nodes?: string[];
  /** Deploy the host-network probes (node ↔ pod tests). */
  hostProbes: boolean;
}

function probeDaemonSet(name: string, port: number, hostNetwork: boolean, nodes?: string[]): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: CHECK_NAMESPACE, labels: labels(name) },
    spec: {
      selector: { matchLabels: { [NAME_LABEL]: name } },
      template: {
        metadata: { labels: labels(name) },
        spec: {
          ...(hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 1,
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          ...(nodes
            ? {
                affinity: {
                  nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                      nodeSelectorTerms: [
                        { matchFields: [{ key: 'metadata.name', operator: 'In', values: nodes }] },
                      ],
                    },
                  },
                },
              }
            : {}),
          // Wherever the network DaemonSet runs (it tolerates everything), the probes run too.
          tolerations: [{ operator: 'Exists' }],
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65534,
            runAsGroup: 65534,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'probe',
              image: NODE_IMAGE,
              command: ['node', '/probe/probe.cjs', '--port', String(port)],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              ports: [{ name: 'probe', containerPort: port, protocol: 'TCP' }],
              readinessProbe: { httpGet: { path: '/healthz', port }, periodSeconds: 2 },
              resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'probe', mountPath: '/probe', readOnly: true }],
            },
          ],
          volumes: [{ name: 'probe', configMap: { name: PROBE_CONFIGMAP } }],
        },
      },
    },
  };
}

/** Everything a check creates, in creation order (the namespace first). */
export function checkObjects(opts: CheckObjectsOptions): KubeObject[] {
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: CHECK_NAMESPACE, labels: labels() } },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: PROBE_CONFIGMAP, namespace: CHECK_NAMESPACE, labels: labels() },
      data: { 'probe.cjs': opts.probeScript },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: POD_PROBE, namespace: CHECK_NAMESPACE, labels: labels(POD_PROBE) },
      spec: {
        type: 'ClusterIP',
        selector: { [NAME_LABEL]: POD_PROBE },
        ports: [{ name: 'probe', port: PROBE_PORT, targetPort: PROBE_PORT, protocol: 'TCP' }],
      },
    },
    probeDaemonSet(POD_PROBE, PROBE_PORT, false, opts.nodes),
  ];
  if (opts.hostProbes) objects.push(probeDaemonSet(HOST_PROBE, HOST_PROBE_PORT, true, opts.nodes));
  return objects;
}
