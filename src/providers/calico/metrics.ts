import type { KubeObject } from '../../render/types.ts';
import { APP_LABEL, METRICS_SERVICE, NAMESPACE, NODE } from './constants.ts';

/**
 * Headless Service calico-node-metrics, for Prometheus to discover Felix's metrics endpoint on
 * every node (Pharos created one, named calico-metrics, when FELIX_PROMETHEUSMETRICSENABLED was
 * set; the README says so for scrape configs that select by name). calico-node runs in
 * the host network, so the port must be free on every host.
 */
export function metricsService(port: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: METRICS_SERVICE, namespace: NAMESPACE, labels: { [APP_LABEL]: NODE } },
    spec: {
      clusterIP: 'None',
      selector: { [APP_LABEL]: NODE },
      ports: [{ name: 'metrics', port, targetPort: port, protocol: 'TCP' }],
    },
  };
}
