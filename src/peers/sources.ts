/**
 * Where the offline view (`netpack peers plan`) gets its nodes: the `hosts:` of cluster.yml, or
 * the output of `kubectl get nodes -o json`.
 */
import type { Host } from '../config/types.ts';
import {
  EXTERNAL_IP_LABEL,
  LEGACY_REGION_LABEL,
  type NodeObject,
  type PeerNode,
  peerNodeFromObject,
  REGION_LABEL,
} from './node.ts';

/** Label on a host that names its Node (Pharos' nodes are named after the machine's hostname). */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/**
 * A host of cluster.yml as the Node it becomes, the way Pharos set nodes up:
 * - name: the `kubernetes.io/hostname` label when given, else `address` (the real name is the
 *   machine's hostname, which cluster.yml does not record);
 * - region: the `topology.kubernetes.io/region` label, else `failure-domain.beta.kubernetes.io/region`;
 * - InternalIP: `private_address`, else `address` (what kubelet reports on such a machine);
 * - public address: Pharos labelled every node `node-address.kontena.io/external-ip=<address>`,
 *   so `address` is the labelled public address unless the host's labels say otherwise.
 *   No ExternalIP: kubelet reports one only with a cloud provider.
 */
export function peerNodeFromHost(host: Host): PeerNode {
  const labels = host.labels ?? {};
  const node: PeerNode = { name: labels[HOSTNAME_LABEL]?.trim() || host.address };
  const region = labels[REGION_LABEL]?.trim() || labels[LEGACY_REGION_LABEL]?.trim();
  if (region) node.region = region;
  node.internalIp = host.private_address?.trim() || host.address;
  node.labelExternalIp = labels[EXTERNAL_IP_LABEL]?.trim() || host.address;
  return node;
}

/** Reads `kubectl get nodes -o json` (a List), a bare array of Nodes, or a single Node. */
export function peerNodesFromJson(text: string): PeerNode[] {
  const data = JSON.parse(text) as unknown;
  let items: unknown[];
  if (Array.isArray(data)) items = data;
  else if (data && typeof data === 'object' && Array.isArray((data as { items?: unknown }).items))
    items = (data as { items: unknown[] }).items;
  else if (data && typeof data === 'object' && (data as { kind?: string }).kind === 'Node') items = [data];
  else throw new Error('expected the output of `kubectl get nodes -o json` (an object with items)');
  const nodes: PeerNode[] = [];
  for (const [i, item] of items.entries()) {
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw new Error(`item ${i} is not a Node object (got ${item === null ? 'null' : typeof item})`);
    const kind = (item as { kind?: string }).kind;
    if (kind !== undefined && kind !== 'Node') continue;
    const n = peerNodeFromObject(item as NodeObject);
    if (n) nodes.push(n);
  }
  return nodes;
}
