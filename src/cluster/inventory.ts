/**
 * The state netpack keeps in the cluster: ConfigMap `kube-system/netpack-state` with the network
 * config it applied (no secret values: the password and TLS files are named by path only) and
 * the list of objects it applied, which the next apply prunes against. Pure.
 */
import { parse } from 'yaml';
import type { ClusterConfig, NetworkConfig } from '../config/types.ts';
import { COMPONENT_LABEL, MANAGED_BY, MANAGED_BY_LABEL } from '../render/types.ts';
import { emitYaml } from '../render/yaml-emit.ts';
import { type KubeObject, type ObjectRef, refKey, toRef } from './types.ts';

export const STATE_NAMESPACE = 'kube-system';
export const STATE_NAME = 'netpack-state';
/** The component label of the state ConfigMap; it is never in its own inventory, so never pruned. */
export const STATE_COMPONENT = 'state';
const FORMAT = 'netpack-state/v1';

export interface StoredState {
  /** The effective network config last applied. */
  network: NetworkConfig;
  /** Every object netpack applied (create-only Secrets included), in apply order. */
  inventory: ObjectRef[];
}

export const STATE_REF: ObjectRef = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: STATE_NAMESPACE,
  name: STATE_NAME,
};

/**
 * The network config as stored: JSON data with keys sorted, so the same config always reads the
 * same. File paths stay (they are not secrets); contents never enter.
 */
function storableNetwork(network: NetworkConfig): unknown {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
    );
  };
  return sorted(JSON.parse(JSON.stringify(network)));
}

/** The state ConfigMap for an apply of `config` that applied `objects`. Deterministic. */
export function stateConfigMap(
  config: ClusterConfig,
  objects: readonly (KubeObject | ObjectRef)[],
): KubeObject {
  const seen = new Set<string>();
  const inventory: ObjectRef[] = [];
  for (const o of objects) {
    const ref = 'metadata' in o ? toRef(o) : o;
    if (seen.has(refKey(ref))) continue;
    seen.add(refKey(ref));
    inventory.push(ref);
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: STATE_NAME,
      namespace: STATE_NAMESPACE,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [COMPONENT_LABEL]: STATE_COMPONENT },
    },
    data: {
      format: FORMAT,
      // The render's emitter: the yaml library's stringify took ~10 ms of every apply here.
      'network.yaml': emitYaml(storableNetwork(config.network)),
      'inventory.yaml': emitYaml(inventory),
    },
  };
}

export type ParsedState = { ok: true; state: StoredState } | { ok: false; reason: string };

/** Reads a state ConfigMap back; a damaged one is reported, not guessed at. */
export function parseState(cm: KubeObject): ParsedState {
  const data = (cm.data ?? {}) as Record<string, string>;
  if (data.format !== FORMAT) {
    return {
      ok: false,
      reason: `ConfigMap ${STATE_NAMESPACE}/${STATE_NAME} has format ${JSON.stringify(data.format)}, expected ${FORMAT}`,
    };
  }
  try {
    const network = parse(data['network.yaml'] ?? '') as NetworkConfig;
    const inventory = parse(data['inventory.yaml'] ?? '') as ObjectRef[];
    if (!network || typeof network.provider !== 'string' || !Array.isArray(inventory))
      throw new Error('missing fields');
    for (const r of inventory) {
      if (typeof r?.apiVersion !== 'string' || typeof r.kind !== 'string' || typeof r.name !== 'string') {
        throw new Error('inventory entry without apiVersion/kind/name');
      }
    }
    return { ok: true, state: { network, inventory } };
  } catch (e) {
    return {
      ok: false,
      // The YAML parser's message goes on with a picture of the line after a colon: its first
      // line, without that colon, says it.
      reason: `ConfigMap ${STATE_NAMESPACE}/${STATE_NAME} cannot be read: ${(e as Error).message.split('\n')[0]!.replace(/:\s*$/, '')}`,
    };
  }
}
