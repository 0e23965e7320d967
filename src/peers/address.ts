/**
 * Peer addresses come from Node objects: kubelet's status addresses, and a label and an
 * annotation that anyone allowed to label nodes can set to anything (`not-an-ip`, 5,000
 * characters, spaces). Whatever is posted to the Weave router becomes a connection attempt, so
 * each address is checked to be an IPv4 or IPv6 literal (node:net's isIP) before a node enters
 * the plan; a node with one that is not is left out and said why.
 */
import { isIP } from 'node:net';
import { BRIDGE_IP_ANNOTATION, EXTERNAL_IP_LABEL, type PeerNode } from './node.ts';

/** Where each address of a PeerNode comes from, for messages. */
const SOURCES: [keyof PeerNode, string][] = [
  ['internalIp', 'status address InternalIP'],
  ['externalIp', 'status address ExternalIP'],
  ['labelExternalIp', `label ${EXTERNAL_IP_LABEL}`],
  ['bridgeIp', `annotation ${BRIDGE_IP_ANNOTATION}`],
];

/**
 * Why `node` cannot be peered with as it is (an address that is not an IP literal), or
 * undefined when every address it has is one. The value is quoted, shortened and made printable.
 */
export function addressProblem(node: PeerNode): string | undefined {
  for (const [field, source] of SOURCES) {
    const value = node[field];
    if (value === undefined || isIP(value) !== 0) continue;
    const shown = value.length > 64 ? `${value.slice(0, 64)}… (${value.length} characters)` : value;
    return `${source} is ${JSON.stringify(shown)}, not an IPv4 or IPv6 address`;
  }
  return undefined;
}
