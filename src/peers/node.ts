/**
 * What the peering planner needs to know about a node, read from a Kubernetes Node object.
 *
 * Everything else on a Node (conditions, heartbeats, capacity, images) changes all the time and
 * never changes a peer list, so it is dropped here: two `PeerNode`s compare equal exactly when
 * the plan cannot differ (see `samePeerNode`).
 */

/** The region label Kubernetes sets (well-known since 1.17). */
export const REGION_LABEL = 'topology.kubernetes.io/region';
/**
 * The deprecated label Pharos read; used only when the new one is absent. Both names are also
 * read as annotations, after the labels.
 */
export const LEGACY_REGION_LABEL = 'failure-domain.beta.kubernetes.io/region';
/** Pharos' label for a public address the node itself does not report (e.g. behind 1:1 NAT). */
export const EXTERNAL_IP_LABEL = 'node-address.kontena.io/external-ip';

/**
 * Annotation with the address of the node's `weave` bridge (Pharos' name, kept so clusters it
 * annotated keep working). The side-car sets it on its own node when kubelet DNAT is on.
 */
export const BRIDGE_IP_ANNOTATION = 'weave.kontena.io/bridge-ip';

export interface PeerNode {
  name: string;
  /** The region label's value; undefined when the node has none. */
  region?: string;
  /** First `InternalIP` in `status.addresses`. */
  internalIp?: string;
  /** First `ExternalIP` in `status.addresses`. */
  externalIp?: string;
  /** Value of the `node-address.kontena.io/external-ip` label. */
  labelExternalIp?: string;
  /** Value of the `weave.kontena.io/bridge-ip` annotation (kubelet DNAT target). */
  bridgeIp?: string;
}

/** The parts of a Node object read here; anything with these fields will do (client-node or plain JSON). */
export interface NodeObject {
  metadata?: {
    name?: string;
    labels?: Record<string, string> | null;
    annotations?: Record<string, string> | null;
  } | null;
  status?: { addresses?: { type?: string; address?: string }[] | null } | null;
}

const nonEmpty = (s: string | undefined | null): string | undefined =>
  s === undefined || s === null || s.trim() === '' ? undefined : s.trim();

/** Reads a Node object. Undefined when it has no name (not a usable Node). */
export function peerNodeFromObject(obj: NodeObject): PeerNode | undefined {
  const name = nonEmpty(obj.metadata?.name);
  if (!name) return undefined;
  const labels = obj.metadata?.labels ?? {};
  const node: PeerNode = { name };
  // Labels first; then annotations of the same names, where the Pharos guide says the region
  // is ("determined by failure-domain.beta.kubernetes.io/region annotations value").
  const annotations = obj.metadata?.annotations ?? {};
  const region =
    nonEmpty(labels[REGION_LABEL]) ??
    nonEmpty(labels[LEGACY_REGION_LABEL]) ??
    nonEmpty(annotations[REGION_LABEL]) ??
    nonEmpty(annotations[LEGACY_REGION_LABEL]);
  if (region) node.region = region;
  for (const a of obj.status?.addresses ?? []) {
    const address = nonEmpty(a.address);
    if (!address) continue;
    if (a.type === 'InternalIP' && node.internalIp === undefined) node.internalIp = address;
    if (a.type === 'ExternalIP' && node.externalIp === undefined) node.externalIp = address;
  }
  const labelIp = nonEmpty(labels[EXTERNAL_IP_LABEL]);
  if (labelIp) node.labelExternalIp = labelIp;
  const bridgeIp = nonEmpty(annotations[BRIDGE_IP_ANNOTATION]);
  if (bridgeIp) node.bridgeIp = bridgeIp;
  return node;
}

/** Whether two nodes are the same for every plan (heartbeats and status churn compare equal). */
export function samePeerNode(a: PeerNode | undefined, b: PeerNode | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.name === b.name &&
    a.region === b.region &&
    a.internalIp === b.internalIp &&
    a.externalIp === b.externalIp &&
    a.labelExternalIp === b.labelExternalIp &&
    a.bridgeIp === b.bridgeIp
  );
}

/** The address peers in the same region use: private, else public, else the labelled public one. */
export function sameRegionAddress(n: PeerNode): string | undefined {
  return n.internalIp ?? n.externalIp ?? n.labelExternalIp;
}

/** The address peers in other regions use: public, else the labelled public one. */
export function crossRegionAddress(n: PeerNode): string | undefined {
  return n.externalIp ?? n.labelExternalIp;
}
