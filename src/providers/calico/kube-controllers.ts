import type { KubeObject } from '../../render/types.ts';
import {
  APP_LABEL,
  CALICO_IMAGES,
  CONFIG_MAP,
  ETCD_SECRET,
  ETCD_SECRETS_DIR,
  KUBE_CONTROLLERS,
  NAMESPACE,
} from './constants.ts';
import type { CalicoSettings } from './settings.ts';

const labels = (): Record<string, string> => ({ [APP_LABEL]: KUBE_CONTROLLERS });

function fromConfig(name: string, key: string): Record<string, unknown> {
  return { name, valueFrom: { configMapKeyRef: { name: CONFIG_MAP, key } } };
}

/**
 * Controllers upstream runs per datastore: with the kubernetes datastore Calico reads policy,
 * namespaces and service accounts from the API itself; with etcd they are copied into etcd.
 */
const ENABLED_CONTROLLERS = {
  kubernetes: 'node,loadbalancer',
  etcd: 'policy,namespace,serviceaccount,workloadendpoint,node,loadbalancer',
};

/** PodDisruptionBudget that lets the cluster autoscaler evict the single controller pod. */
export function kubeControllersPdb(): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: KUBE_CONTROLLERS, namespace: NAMESPACE, labels: labels() },
    spec: { maxUnavailable: 1, selector: { matchLabels: labels() } },
  };
}

/** Deployment calico-kube-controllers: one replica (only one instance may be active). */
export function kubeControllersDeployment(s: CalicoSettings): KubeObject {
  const etcd = s.datastore === 'etcd';
  const env = etcd
    ? [
        fromConfig('ETCD_ENDPOINTS', 'etcd_endpoints'),
        fromConfig('ETCD_CA_CERT_FILE', 'etcd_ca'),
        fromConfig('ETCD_KEY_FILE', 'etcd_key'),
        fromConfig('ETCD_CERT_FILE', 'etcd_cert'),
        { name: 'ENABLED_CONTROLLERS', value: ENABLED_CONTROLLERS.etcd },
      ]
    : [
        { name: 'ENABLED_CONTROLLERS', value: ENABLED_CONTROLLERS.kubernetes },
        { name: 'DATASTORE_TYPE', value: 'kubernetes' },
      ];
  const container: Record<string, unknown> = {
    name: KUBE_CONTROLLERS,
    image: CALICO_IMAGES.kubeControllers,
    imagePullPolicy: 'IfNotPresent',
    env,
    ...(etcd ? { volumeMounts: [{ mountPath: ETCD_SECRETS_DIR, name: 'etcd-certs' }] } : {}),
    livenessProbe: {
      exec: { command: ['/usr/bin/check-status', '-l'] },
      periodSeconds: 10,
      initialDelaySeconds: 10,
      failureThreshold: 6,
      timeoutSeconds: 10,
    },
    readinessProbe: { exec: { command: ['/usr/bin/check-status', '-r'] }, periodSeconds: 10 },
    securityContext: { runAsNonRoot: true },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: KUBE_CONTROLLERS, namespace: NAMESPACE, labels: labels() },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels() },
      strategy: { type: 'Recreate' },
      template: {
        metadata: { name: KUBE_CONTROLLERS, namespace: NAMESPACE, labels: labels() },
        spec: {
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' },
            { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
          ],
          serviceAccountName: KUBE_CONTROLLERS,
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          priorityClassName: 'system-cluster-critical',
          // With etcd, the controllers run in the host network so that no Calico policy they
          // sync can cut them off from etcd.
          ...(etcd ? { hostNetwork: true } : {}),
          containers: [container],
          // Upstream mounts the controllers' copy 0440 (calico-node's is 0400).
          ...(etcd
            ? { volumes: [{ name: 'etcd-certs', secret: { secretName: ETCD_SECRET, defaultMode: 0o440 } }] }
            : {}),
        },
      },
    },
  };
}
