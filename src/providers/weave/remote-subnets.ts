/**
 * Routes to the other clusters of a shared Weave pod network. Each cluster allocates pod IPs
 * from its own `ipalloc_default_subnet`, and the weave bridge gets an address (and a route) for
 * that subnet only; packets to another cluster's subnet would leave through the default route.
 * Pharos' multi-cluster docs asked operators to write a DaemonSet by hand that adds
 * `ip route add <subnet> dev weave src <bridge address>` on every node; this is that DaemonSet.
 *
 * Differences from the docs' example: `ip route replace` (idempotent) in a loop, so routes come
 * back when weave recreates its bridge; routes removed on termination; only NET_ADMIN instead of
 * a privileged container; the pinned weave-kube image (it has a shell and iproute2, and is
 * already in netpack's image list) instead of a separate alpine image.
 */

import { DEFAULT_WEAVE_VERSION } from '../../config/defaults.ts';
import type { ClusterConfig, WeaveVersion } from '../../config/types.ts';
import type { KubeObject } from '../../render/types.ts';
import { WEAVE_NAMESPACE, weaveImages } from './index.ts';

export const REMOTE_ROUTES_NAME = 'weave-remote-routes';
/** Seconds between two checks of the routes. */
export const REMOTE_ROUTES_INTERVAL = 30;

/**
 * The loop the container runs. It reads the subnets from `REMOTE_SUBNETS` (space-separated), so
 * changing them rolls the pods without changing the script.
 */
export const REMOTE_ROUTES_SCRIPT = [
  'set -u',
  'cleanup() {',
  '  for s in $REMOTE_SUBNETS; do ip route del "$s" dev weave 2>/dev/null || true; done',
  '  exit 0',
  '}',
  'trap cleanup TERM INT',
  'while true; do',
  // The bridge's first IPv4 address; empty until weave has claimed its range.
  '  src=$(ip -4 -o addr show dev weave 2>/dev/null | awk \'{split($4, a, "/"); print a[1]; exit}\')',
  '  if [ -n "$src" ]; then',
  '    for s in $REMOTE_SUBNETS; do',
  '      ip route replace "$s" dev weave src "$src" || echo "cannot route $s through weave" >&2',
  '    done',
  '  fi',
  `  sleep ${REMOTE_ROUTES_INTERVAL} & wait $!`,
  'done',
  '',
].join('\n');

const labels = (): Record<string, string> => ({ name: REMOTE_ROUTES_NAME });

/**
 * The DaemonSet routing `subnets` (the other clusters' allocation subnets) through the weave
 * bridge on every node; null when there are none.
 */
export function remoteRoutesDaemonSet(
  subnets: readonly string[],
  version: WeaveVersion = DEFAULT_WEAVE_VERSION,
): KubeObject | null {
  if (subnets.length === 0) return null;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: REMOTE_ROUTES_NAME, namespace: WEAVE_NAMESPACE, labels: labels() },
    spec: {
      selector: { matchLabels: labels() },
      template: {
        metadata: { labels: labels() },
        spec: {
          containers: [
            {
              name: 'routes',
              image: weaveImages(version).kube,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/sh', '-c', REMOTE_ROUTES_SCRIPT],
              env: [{ name: 'REMOTE_SUBNETS', value: subnets.join(' ') }],
              resources: { requests: { cpu: '10m', memory: '16Mi' } },
              securityContext: { capabilities: { add: ['NET_ADMIN'] } },
            },
          ],
          hostNetwork: true,
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          priorityClassName: 'system-node-critical',
          terminationGracePeriodSeconds: 10,
          tolerations: [
            { effect: 'NoSchedule', operator: 'Exists' },
            { effect: 'NoExecute', operator: 'Exists' },
          ],
        },
      },
      updateStrategy: { type: 'RollingUpdate' },
    },
  };
}

/** The DaemonSet for `config`'s `weave.remote_subnets`, or null. */
export function remoteRoutes(config: ClusterConfig): KubeObject | null {
  return remoteRoutesDaemonSet(config.network.weave.remote_subnets, config.network.weave.image_version);
}
