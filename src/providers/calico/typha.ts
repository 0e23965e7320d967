/**
 * Typha (upstream's calico-typha.yaml): a fan-out proxy between the API server and Felix, so that
 * the API server is watched by a few Typhas instead of by every calico-node. Rendered only for
 * the kubernetes datastore when network.calico.typha is on; calico-config's `typha_service_name`
 * and calico-node's FELIX_TYPHAK8SSERVICENAME point Felix at it (config-map.ts, node.ts).
 */
import type { KubeObject } from '../../render/types.ts';
import {
  APP_LABEL,
  NAMESPACE,
  NODE,
  TYPHA,
  TYPHA_HEALTH_PORT,
  TYPHA_IMAGE,
  TYPHA_PORT,
  TYPHA_SHUTDOWN_SECONDS,
} from './constants.ts';

const labels = (): Record<string, string> => ({ [APP_LABEL]: TYPHA });

/** PodDisruptionBudget that lets the cluster autoscaler evict Typha pods, one at a time. */
export function typhaPdb(): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: TYPHA, namespace: NAMESPACE, labels: labels() },
    spec: { maxUnavailable: 1, selector: { matchLabels: labels() } },
  };
}

/** Service calico-typha: the name Felix looks up to find the Typha endpoints. */
export function typhaService(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: TYPHA, namespace: NAMESPACE, labels: labels() },
    spec: {
      ports: [{ port: TYPHA_PORT, protocol: 'TCP', targetPort: TYPHA, name: TYPHA }],
      selector: labels(),
    },
  };
}

function healthProbe(path: string, seconds: { period: number; initialDelay?: number }) {
  return {
    httpGet: { path, port: TYPHA_HEALTH_PORT, host: 'localhost' },
    periodSeconds: seconds.period,
    ...(seconds.initialDelay === undefined ? {} : { initialDelaySeconds: seconds.initialDelay }),
    timeoutSeconds: 10,
  };
}

function typhaContainer(): Record<string, unknown> {
  const env = (name: string, value: string) => ({ name, value });
  return {
    image: TYPHA_IMAGE,
    imagePullPolicy: 'IfNotPresent',
    name: TYPHA,
    ports: [{ containerPort: TYPHA_PORT, name: TYPHA, protocol: 'TCP' }],
    // Lets an eBPF-mode install override KUBERNETES_SERVICE_HOST/PORT; upstream marks it optional.
    envFrom: [{ configMapRef: { name: 'kubernetes-services-endpoint', optional: true } }],
    env: [
      env('TYPHA_LOGSEVERITYSCREEN', 'info'),
      // No log files or syslog inside a pod: `kubectl logs` is where logs go.
      env('TYPHA_LOGFILEPATH', 'none'),
      env('TYPHA_LOGSEVERITYSYS', 'none'),
      // Count the running Typhas through the API and rebalance Felix connections among them.
      env('TYPHA_CONNECTIONREBALANCINGMODE', 'kubernetes'),
      env('TYPHA_DATASTORETYPE', 'kubernetes'),
      env('TYPHA_HEALTHENABLED', 'true'),
      env('TYPHA_SHUTDOWNTIMEOUTSECS', String(TYPHA_SHUTDOWN_SECONDS)),
    ],
    livenessProbe: healthProbe('/liveness', { period: 30, initialDelay: 30 }),
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
    readinessProbe: healthProbe('/readiness', { period: 10 }),
  };
}

/**
 * Deployment calico-typha. Host network: pods cannot be networked before Typha is up. It runs
 * as calico-node's ServiceAccount (it reads what Felix reads), on any node whatever its taints.
 */
export function typhaDeployment(replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: TYPHA, namespace: NAMESPACE, labels: labels() },
    spec: {
      replicas,
      revisionHistoryLimit: 2,
      selector: { matchLabels: labels() },
      strategy: {
        // A full surge of new Typhas becomes ready before the old ones shut down, so Felix
        // connections move straight from an old instance to a new one; at most one old instance
        // may stop early when the cluster has no room for the surge.
        rollingUpdate: { maxSurge: '100%', maxUnavailable: 1 },
        type: 'RollingUpdate',
      },
      template: {
        metadata: {
          labels: labels(),
          annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' },
        },
        spec: {
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          hostNetwork: true,
          // Typha sheds its clients slowly during the grace period (TYPHA_SHUTDOWNTIMEOUTSECS).
          terminationGracePeriodSeconds: TYPHA_SHUTDOWN_SECONDS,
          tolerations: [
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { effect: 'NoSchedule', operator: 'Exists' },
            { effect: 'NoExecute', operator: 'Exists' },
          ],
          serviceAccountName: NODE,
          priorityClassName: 'system-cluster-critical',
          // fsGroup lets the non-root process read its projected service account token.
          securityContext: { fsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [typhaContainer()],
        },
      },
    },
  };
}
