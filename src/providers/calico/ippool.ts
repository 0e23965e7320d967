import type { KubeObject } from '../../render/types.ts';
import { IPPOOL_NAME, IPV4_BLOCK_SIZE } from './constants.ts';
import type { CalicoSettings } from './settings.ts';

/**
 * IPPool default-ipv4-ippool, the pool calico-node would create from CALICO_IPV4POOL_* on first
 * start. Rendering it lets later changes of encapsulation or NAT reach the cluster (the env vars
 * only act when no pool exists). The spec carries what Calico's own client fills in when it
 * creates the pool, so taking over an existing auto-created pool changes nothing else.
 * Kubernetes datastore only: with etcd the pool lives in etcd, not in the API.
 */
export function defaultIpPool(s: CalicoSettings): KubeObject {
  return {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'IPPool',
    metadata: { name: IPPOOL_NAME },
    spec: {
      cidr: s.podCidr,
      ipipMode: s.ipipMode,
      vxlanMode: s.vxlanMode,
      natOutgoing: s.natOutgoing,
      blockSize: IPV4_BLOCK_SIZE,
      nodeSelector: 'all()',
      allowedUses: ['Workload', 'Tunnel'],
      assignmentMode: 'Automatic',
    },
  };
}
