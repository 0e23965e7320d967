/**
 * With Calico's etcd datastore the pool lives in etcd: calico-node creates it from
 * CALICO_IPV4POOL_* on first start and netpack manages no IPPool there, so a later change of
 * encapsulation, mode or NAT in the config reaches the DaemonSet's env but not the pool. apply
 * and diff say so (a warning: nothing breaks, the change just does nothing). Pure.
 */
import type { NetworkConfig } from '../config/types.ts';
import { IPPOOL_NAME } from '../providers/calico/constants.ts';
import type { StoredState } from './inventory.ts';

/** The pool fields calico-node copies from its env on first start only, as calicoctl names them. */
const POOL_FIELDS = [
  ['encapsulation', 'ipipMode/vxlanMode'],
  ['mode', 'ipipMode/vxlanMode'],
  ['nat_outgoing', 'natOutgoing'],
] as const;

export function etcdPoolNotices(network: NetworkConfig, state: StoredState | undefined): string[] {
  const was = state?.network;
  if (network.provider !== 'calico' || network.calico.datastore !== 'etcd') return [];
  if (was?.provider !== 'calico' || was.calico?.datastore !== 'etcd') return [];
  const out: string[] = [];
  for (const [field, poolField] of POOL_FIELDS) {
    const before = was.calico[field];
    const after = network.calico[field];
    if (before === undefined || before === after) continue;
    out.push(
      `network.calico.${field} changes from ${String(before)} to ${String(after)}, which has no effect on the pool: with the etcd datastore calico-node reads it only when it creates pool ${IPPOOL_NAME}, and netpack manages no IPPool there; change ${poolField} yourself (calicoctl patch ippool ${IPPOOL_NAME})`,
    );
  }
  return out;
}
