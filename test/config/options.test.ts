/**
 * The option declarations (schema.ts) are the one place an option is declared: every declared
 * option is in the published JSON Schema with its description, in explain with an origin, and
 * has a default or is optional in the effective config. An option added half-way fails here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain } from '../../src/config/explain.ts';
import { declarations, defaultNetwork } from '../../src/config/resolve.ts';
import { clusterJsonSchema } from '../../src/config/schema.ts';
import type {
  CalicoConfig,
  EtcdConfig,
  FirewallPort,
  NetworkConfig,
  WeaveConfig,
  WeaveVersion,
} from '../../src/config/types.ts';
import { expectValid, load } from './helpers.ts';

type JsonNode = { properties?: Record<string, JsonNode>; anyOf?: JsonNode[]; description?: string };

/** The JSON Schema node of the property at `path` (through `anyOf: [X, null]`). */
function property(schema: JsonNode, path: readonly (string | number)[]): JsonNode | undefined {
  let node: JsonNode | undefined = schema;
  for (const key of path) {
    const object: JsonNode | undefined = node?.properties ? node : node?.anyOf?.find((n) => n.properties);
    node = object?.properties?.[String(key)];
  }
  return node;
}

test('every declared option is in the JSON Schema with its description', () => {
  const schema = clusterJsonSchema() as JsonNode;
  assert.ok(declarations().length > 30, 'the walk finds the declarations');
  for (const d of declarations()) {
    const node = property(schema, d.path);
    assert.ok(node, `${d.canonical} is in the JSON Schema`);
    assert.equal(node.description, d.spec.describe, `description of ${d.canonical}`);
  }
});

test('every declared option has a default, or is optional and absent when unset', () => {
  const network = defaultNetwork() as unknown as Record<string, unknown>;
  for (const d of declarations()) {
    const keys = d.canonical.split('.').slice(1);
    let value: unknown = network;
    for (const key of keys) value = (value as Record<string, unknown> | undefined)?.[key];
    if (d.spec.default === undefined) assert.equal(value, undefined, `${d.canonical} is unset by default`);
    else assert.notEqual(value, undefined, `${d.canonical} has its default`);
  }
});

test('every declared option is in explain, with where its value came from', () => {
  const shown = new Map<string, string>();
  for (const provider of ['weave', 'calico', 'custom']) {
    const r = load(
      `network:\n  provider: ${provider}\n  firewalld: {enabled: true}\n  cloud: aws\n  image_repository: mirror.local\n  custom: {manifest_path: manifests}\n  weave: {password: weave.secret, ipalloc_default_subnet: 10.32.0.0/13}\n`,
    );
    for (const e of explain(expectValid(r), r.origins).entries) shown.set(e.path, e.origin.from);
  }
  const etcd = load(
    'network:\n  provider: calico\n  calico: {datastore: etcd, etcd: {endpoints: ["https://192.0.2.1:2379"]}}\n',
  );
  for (const e of explain(expectValid(etcd), etcd.origins).entries) shown.set(e.path, e.origin.from);
  for (const d of declarations()) {
    const entries = [...shown.keys()].filter((p) => p === d.canonical || p.startsWith(`${d.canonical}.`));
    assert.ok(entries.length > 0, `${d.canonical} is shown by explain`);
  }
});

/** Both ways assignable: the derived type has exactly the fields (and optionality) written here. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

test('the effective types derived from the declarations keep the ClusterConfig shape render and cluster code use', () => {
  type Mode = 'Always' | 'CrossSubnet' | 'Never';
  const weave: Same<
    WeaveConfig,
    {
      trusted_subnets: string[];
      no_masq_local: boolean;
      password?: string;
      known_peers: string[];
      ipalloc_default_subnet?: string;
      remote_subnets: string[];
      image_version: WeaveVersion;
      iptables_backend: 'auto' | 'nft' | 'legacy';
      ipalloc_init: 'consensus' | 'observer';
      peering: { enabled: boolean; image: string; kubelet_dnat: boolean };
    }
  > = true;
  const calico: Same<
    CalicoConfig,
    {
      encapsulation: 'ipip' | 'vxlan';
      mode: Mode;
      mtu: number | 'auto';
      nat_outgoing: boolean;
      ip_autodetection_method: string;
      environment: Record<string, string>;
      datastore: 'kubernetes' | 'etcd';
      etcd?: EtcdConfig;
      typha: boolean;
      typha_replicas: number;
    }
  > = true;
  const network: Same<
    Omit<NetworkConfig, 'weave' | 'calico'>,
    {
      provider: 'weave' | 'calico' | 'custom';
      service_cidr: string;
      pod_network_cidr: string;
      node_local_dns_cache: { enabled: boolean };
      dns_replicas: number;
      cloud?: 'aws' | 'azure' | 'gcp' | 'vmware' | 'baremetal';
      image_repository?: string;
      custom?: { manifest_path: string; options: Record<string, unknown> };
      firewalld: { enabled: boolean; open_ports: FirewallPort[]; trusted_subnets: string[] };
      kube_proxy_mode: 'iptables' | 'ipvs' | 'nftables';
    }
  > = true;
  assert.deepEqual([weave, calico, network], [true, true, true]);
});
