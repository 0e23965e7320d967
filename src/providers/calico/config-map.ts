import type { KubeObject } from '../../render/types.ts';
import { CONFIG_MAP, ETCD_SECRETS_DIR, NAMESPACE, TYPHA } from './constants.ts';
import type { CalicoSettings } from './settings.ts';

/** Placeholder install-cni replaces with CNI_MTU; it stands unquoted where a number goes. */
const CNI_MTU_PLACEHOLDER = '__CNI_MTU__';

/**
 * The CNI network config install-cni writes to each node (`10-calico.conflist`). install-cni
 * fills the `__…__` placeholders; `__CNI_MTU__` is a bare number in the final JSON.
 */
export function cniNetworkConfig(datastore: CalicoSettings['datastore']): string {
  const datastoreFields =
    datastore === 'kubernetes'
      ? { datastore_type: 'kubernetes', nodename: '__KUBERNETES_NODE_NAME__' }
      : {
          etcd_endpoints: '__ETCD_ENDPOINTS__',
          etcd_key_file: '__ETCD_KEY_FILE__',
          etcd_cert_file: '__ETCD_CERT_FILE__',
          etcd_ca_cert_file: '__ETCD_CA_CERT_FILE__',
        };
  const conflist = {
    name: 'k8s-pod-network',
    cniVersion: '0.3.1',
    plugins: [
      {
        type: 'calico',
        log_level: 'info',
        log_file_path: '/var/log/calico/cni/cni.log',
        ...datastoreFields,
        mtu: CNI_MTU_PLACEHOLDER,
        ipam: { type: 'calico-ipam' },
        policy: { type: 'k8s' },
        kubernetes: { kubeconfig: '__KUBECONFIG_FILEPATH__' },
      },
      { type: 'portmap', snat: true, capabilities: { portMappings: true } },
      // Traffic shaping for pods annotated kubernetes.io/ingress-bandwidth / egress-bandwidth, as
      // Pharos configured it (upstream's calico.yaml has only portmap; install-cni ships the binary).
      { type: 'bandwidth', capabilities: { bandwidth: true } },
    ],
  };
  return JSON.stringify(conflist, null, 2).replace(`"${CNI_MTU_PLACEHOLDER}"`, CNI_MTU_PLACEHOLDER);
}

/** ConfigMap calico-config: backend, MTU, CNI config and, for etcd, where etcd is. */
export function calicoConfigMap(s: CalicoSettings): KubeObject {
  const etcd: Record<string, string> = {};
  if (s.datastore === 'etcd') {
    etcd.etcd_endpoints = s.etcd.endpoints.join(',');
    // Paths inside the pods where Secret calico-etcd-secrets is mounted; "" means no TLS.
    etcd.etcd_ca = s.etcd.ca_file ? `${ETCD_SECRETS_DIR}/etcd-ca` : '';
    etcd.etcd_cert = s.etcd.cert_file ? `${ETCD_SECRETS_DIR}/etcd-cert` : '';
    etcd.etcd_key = s.etcd.key_file ? `${ETCD_SECRETS_DIR}/etcd-key` : '';
  }
  return {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name: CONFIG_MAP, namespace: NAMESPACE },
    data: {
      ...etcd,
      // Felix finds Typha through this Service name; "none" connects it to the datastore directly.
      typha_service_name: s.typha ? TYPHA : 'none',
      calico_backend: s.backend,
      veth_mtu: s.vethMtu,
      cni_network_config: cniNetworkConfig(s.datastore),
    },
  };
}
