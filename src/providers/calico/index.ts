/**
 * The Calico provider: `network.calico` → the objects of upstream Calico v3.32.1's manifests
 * (calico.yaml for IP-in-IP, calico-vxlan.yaml for VXLAN, calico-etcd.yaml for the etcd
 * datastore), plus IPPool default-ipv4-ippool and, when Felix's Prometheus metrics are on, the
 * headless Service calico-node-metrics. Pure: no I/O, same input → same output.
 *
 * With network.calico.typha (kubernetes datastore), also what calico-typha.yaml adds: Service,
 * Deployment and PodDisruptionBudget calico-typha.
 *
 * Not rendered: the optional ConfigMap kubernetes-services-endpoint (eBPF mode).
 */
import type { Diagnostic } from '../../config/diagnostics.ts';
import type { ClusterConfig } from '../../config/types.ts';
import type {
  KubeObject,
  PendingSecret,
  ProviderOutput,
  RenderInputs,
  RenderOptions,
} from '../../render/types.ts';
import { calicoConfigMap } from './config-map.ts';
import { calicoCrds } from './crds.ts';
import { etcdSecret } from './etcd-secret.ts';
import { defaultIpPool } from './ippool.ts';
import { kubeControllersDeployment, kubeControllersPdb } from './kube-controllers.ts';
import { metricsService } from './metrics.ts';
import { calicoNodeDaemonSet } from './node.ts';
import { calicoRbac, calicoServiceAccounts } from './rbac.ts';
import { calicoSettings } from './settings.ts';
import { typhaDeployment, typhaPdb, typhaService } from './typha.ts';

export { CALICO_IMAGES, CALICO_VERSION, IPPOOL_NAME, TYPHA_IMAGE, TYPHA_PORT } from './constants.ts';
export { type CalicoSettings, calicoSettings } from './settings.ts';

/**
 * Renders the Calico objects in upstream's order (PodDisruptionBudgets, ServiceAccounts,
 * [Secret], ConfigMap, [CRDs], RBAC, [Typha Service], DaemonSet, Deployments), then the IPPool
 * and the metrics Service. Diagnostics come only from render inputs the shell could not supply (an
 * etcd TLS file not read); the config itself was checked before render.
 */
export function renderCalico(
  config: ClusterConfig,
  inputs: RenderInputs,
  opts: RenderOptions,
): ProviderOutput {
  const settings = calicoSettings(config);
  const kdd = settings.datastore === 'kubernetes';
  const typha = settings.typha;
  const objects: KubeObject[] = [
    kubeControllersPdb(),
    ...(typha ? [typhaPdb()] : []),
    ...calicoServiceAccounts(),
  ];
  const pendingSecrets: PendingSecret[] = [];
  // The config is trusted (config/rules.ts checked it); only render inputs can fall short.
  const all: Diagnostic[] = [];

  if (!kdd) {
    const secret = etcdSecret(settings, inputs, opts);
    objects.push(...secret.objects);
    pendingSecrets.push(...secret.pendingSecrets);
    all.push(...secret.diagnostics);
  }
  objects.push(calicoConfigMap(settings));
  // With etcd, Calico keeps its resources in etcd: upstream's calico-etcd.yaml has no CRDs.
  if (kdd) objects.push(...calicoCrds());
  objects.push(...calicoRbac(settings.datastore));
  if (typha) objects.push(typhaService());
  objects.push(calicoNodeDaemonSet(settings), kubeControllersDeployment(settings));
  if (typha) objects.push(typhaDeployment(typha.replicas));
  if (kdd) objects.push(defaultIpPool(settings));
  if (settings.metricsPort !== null) objects.push(metricsService(settings.metricsPort));

  return { objects, pendingSecrets, diagnostics: all };
}
