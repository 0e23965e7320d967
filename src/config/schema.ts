/**
 * The shape of `cluster.yml` as the operator writes it, as zod schemas, and each option's one
 * declaration (`option(...)`, option.ts): its shape, description, default (a value, or a function
 * of the facts with the reason explain shows), the alias spellings that set it and how a written
 * value becomes the effective one. The loader (resolve.ts) walks these; the effective types
 * (types.ts) and the JSON Schema derive from them. Field-level checks (a CIDR parses, a port is
 * a port) live here so that their issues carry the field's path; checks across fields live in
 * rules.ts.
 */
import { z } from 'zod';
import { NODE_IMAGE } from '../render/node-image.ts';
import { checkAutodetectionMethod } from './autodetect.ts';
import { checkAddressOrHostname, parseCidr, parseIp } from './cidr.ts';
import {
  autoTypha,
  defaultAutodetection,
  defaultDnsReplicas,
  defaultMtu,
  defaultTyphaReplicas,
  hostRegions,
  TYPHA_UPSTREAM_REPLICAS,
  typhaReplicasReason,
} from './defaults.ts';
import type { DiagnosticCode } from './diagnostics.ts';
import { alias, block, type Default, option } from './option.ts';
import { PHAROS_CLOUD_PROVIDERS, PHAROS_TOP_LEVEL } from './pharos.ts';
import { resolvePath } from './reporter.ts';
import { looksLikeUnexpandedVariable } from './suggest.ts';
import {
  CLOUDS,
  type Cloud,
  DATASTORES,
  DEFAULT_WEAVE_VERSION,
  ENCAPSULATION_MODES,
  ENCAPSULATIONS,
  type Encapsulation,
  type EtcdConfig,
  type FirewallPort,
  KUBE_PROXY_MODES,
  PROVIDERS,
  WEAVE_VERSIONS,
} from './types.ts';

/**
 * A field-level check with our wording. An unexpanded `$VARIABLE` gets its own hint
 * (zod-issues.ts), so the parser's reason, which would only confuse, is left out for it.
 */
function parsedString(
  what: string,
  code: DiagnosticCode,
  parse: (value: string) => { ok: true } | { ok: false; reason: string },
) {
  return z.string().superRefine((value, ctx) => {
    const parsed = parse(value);
    if (parsed.ok) return;
    const reason = looksLikeUnexpandedVariable(value) ? `got "${value}"` : parsed.reason;
    ctx.addIssue({ code: 'custom', message: `must be ${what}: ${reason}`, input: value, params: { code } });
  });
}

function cidr(opts: { allowV6?: boolean } = {}) {
  return parsedString('a CIDR', 'InvalidCidr', (v) => parseCidr(v, opts));
}

function ip(opts: { allowV6?: boolean } = {}) {
  return parsedString('an IP address', 'InvalidAddress', (v) => parseIp(v, opts));
}

/** An IP address, or a host name (skipped in CIDR overlap checks). */
const ipOrHostname = z.string().superRefine((value, ctx) => {
  const checked = checkAddressOrHostname(value);
  if (checked.ok) return;
  ctx.addIssue({
    code: 'custom',
    message:
      checked.reason !== undefined
        ? `must be an IP address or host name: ${checked.reason}`
        : `must be an IP address or host name (got "${value}")`,
    input: value,
    params: { code: 'InvalidAddress' },
  });
});

const nonEmptyPath = z.string().min(1, { error: 'must be a non-empty file path' });

/** Kubernetes label values are strings; YAML numbers and booleans are accepted and stringified. */
const scalar = z.union([z.string(), z.number(), z.boolean()], {
  error: 'must be a string, number or boolean',
});

const imageRepository = z.string().superRefine((value, ctx) => {
  if (/^[a-z]+:\/\//i.test(value))
    ctx.addIssue({
      code: 'custom',
      message: `must be a registry prefix without a scheme (got "${value}"); write it as ${value.replace(/^[a-z]+:\/\//i, '')}`,
      input: value,
      params: { code: 'InvalidImageRepository' },
    });
  else if (!/^[a-zA-Z0-9][a-zA-Z0-9.\-_:/]*[a-zA-Z0-9]\/?$/.test(value) || value.includes('//'))
    ctx.addIssue({
      code: 'custom',
      message: `must be a registry prefix like registry.example.com/mirror (got "${value}")`,
      input: value,
      params: { code: 'InvalidImageRepository' },
    });
});

const port = z.union([z.int().min(1).max(65535), z.string().regex(/^\d{1,5}(-\d{1,5})?$/)], {
  error: 'must be a port number like "22" or a range like "30000-32767"',
});

export const weaveSchema = z
  .strictObject({
    trusted_subnets: option(z.array(cidr()), {
      describe: 'Subnets where the overlay runs without IPsec (trusted).',
      from: ['self', { path: ['network', 'trusted_subnets'] }],
      default: [],
    }),
    no_masq_local: option(z.boolean(), {
      describe: 'Preserve client source IPs for externalTrafficPolicy=Local services.',
      default: false,
    }),
    password: option(nonEmptyPath, {
      describe: 'Path of a file holding the shared secret, relative to cluster.yml.',
      resolve: (path, facts) => resolvePath(facts.baseDir, path),
      quietWhenEmpty: true,
    }),
    known_peers: option(z.array(ip({ allowV6: true })), {
      describe: 'Initial peer addresses (multi-cluster pod networks).',
      default: [],
    }),
    ipalloc_default_subnet: option(cidr(), {
      describe: 'Subnet for pod IP allocation, inside pod_network_cidr.',
      quietWhenEmpty: true,
    }),
    remote_subnets: option(z.array(cidr()), {
      describe: "Other clusters' allocation subnets to route through the bridge.",
      default: [],
    }),
    image_version: option(z.enum(WEAVE_VERSIONS), {
      describe:
        'Weave Net release: 2.8.1 (upstream, archived) or the maintained fork 2.8.2..2.9.0 (default 2.9.0).',
      default: DEFAULT_WEAVE_VERSION,
      reason: 'the maintained fork; upstream 2.8.1 is archived',
    }),
    // The fork's launch.sh (2.9.0) reads IPTABLES_BACKEND; `auto` leaves it to its detection.
    iptables_backend: option(z.enum(['auto', 'nft', 'legacy']), {
      describe:
        'iptables backend of Weave 2.9.0 (IPTABLES_BACKEND): auto (detected, default), nft or legacy.',
      default: 'auto',
    }),
    // How a cluster's routers start IP allocation (launch.sh's IPALLOC_INIT).
    ipalloc_init: option(z.enum(['consensus', 'observer']), {
      describe:
        "IP allocation start: consensus among this cluster's nodes (default), or observer (take space from the other clusters).",
      default: 'consensus',
    }),
    peering: block(
      z.strictObject({
        enabled: option(z.boolean(), {
          describe: 'Run the region-aware peering side-car (default: on when hosts span regions).',
          // Pharos always ran its peering side-car; netpack turns it on by itself where it
          // matters: hosts in more than one region, whose private addresses do not route
          // between regions.
          default: ({ hosts }): Default<boolean> => {
            const regions = hostRegions(hosts);
            return regions.length > 1
              ? { value: true, reason: `the hosts span regions ${regions.join(', ')}` }
              : { value: false };
          },
        }),
        image: option(z.string().min(1), {
          describe: 'Side-car image (default: the official node image running the side-car script).',
          default: NODE_IMAGE,
          reason: 'the official Node.js image, running the side-car script from ConfigMap weave-net-peers',
        }),
        kubelet_dnat: option(z.boolean(), {
          describe: 'Route kubelet traffic (10250) to peers in other regions through the overlay.',
          default: false,
        }),
      }),
      'Region-aware peering: same region over private addresses, other regions over public ones.',
    ),
  })
  .describe('Weave Net options.');

export const etcdSchema = z.strictObject({
  endpoints: z
    .array(
      z
        .string()
        .regex(/^https?:\/\/[^\s/]+(:\d+)?\/?$/, { error: 'must be an etcd URL like https://10.0.0.1:2379' }),
    )
    .min(1, { error: 'must list at least one etcd endpoint' })
    .describe('etcd client URLs.'),
  ca_file: nonEmptyPath.describe('CA certificate file for etcd TLS.').nullish(),
  cert_file: nonEmptyPath.describe('Client certificate file for etcd TLS.').nullish(),
  key_file: nonEmptyPath.describe('Client key file for etcd TLS.').nullish(),
});

const modeSchema = z.enum(ENCAPSULATION_MODES);

/** An encapsulation mode written under another name sets the mode too. */
const modeSpellings = [
  'self',
  { key: 'ipip_mode' },
  { key: 'vxlan_mode' },
  { key: 'encapsulationMode' },
] as const;

export const calicoSchema = z
  .strictObject({
    // Encapsulation: netpack's `encapsulation`, implied by `ipip_mode`/`vxlan_mode`, or the
    // Spectro pack's `encapsulationType`.
    encapsulation: option(z.enum(ENCAPSULATIONS), {
      describe: 'Encapsulation: ipip (default) or vxlan.',
      from: [
        'self',
        { key: 'ipip_mode', map: () => 'ipip' as const },
        { key: 'vxlan_mode', map: () => 'vxlan' as const },
        {
          key: 'encapsulationType',
          map: (v): Encapsulation => (v === 'CALICO_IPV4POOL_VXLAN' ? 'vxlan' : 'ipip'),
        },
      ],
      default: ({ cloud }): Default<Encapsulation> =>
        cloud === 'azure' ? { value: 'vxlan', reason: 'Azure does not carry IP-in-IP' } : { value: 'ipip' },
      conflict: (value, first) => ({
        message: `asks for ${value} encapsulation but ${first.at} asks for ${first.value}`,
        hint: 'choose one encapsulation: calico.encapsulation: ipip | vxlan',
      }),
      quietWhenEmpty: true,
    }),
    mode: option(modeSchema, {
      describe: 'When to encapsulate: Always (default), CrossSubnet or Never.',
      from: [...modeSpellings],
      default: 'Always',
    }),
    ipip_mode: alias(modeSchema, 'Pharos spelling: IP-in-IP mode (sets encapsulation ipip).'),
    vxlan_mode: alias(modeSchema, 'VXLAN mode (sets encapsulation vxlan).'),
    encapsulationType: alias(
      z.enum(['CALICO_IPV4POOL_IPIP', 'CALICO_IPV4POOL_VXLAN']),
      'Spectro pack spelling of encapsulation.',
    ),
    encapsulationMode: alias(modeSchema, 'Spectro pack spelling of mode.'),
    calicoNetworkCIDR: alias(cidr(), 'Spectro pack spelling of the pod CIDR; must equal pod_network_cidr.'),
    mtu: option(
      z.union([z.int().min(576).max(9000), z.literal('auto')], {
        error: 'must be a whole number from 576 to 9000 (the MTU of the host network) or "auto"',
      }),
      {
        describe:
          'MTU of the host network (576..9000), or auto (default; the cloud network MTU when cloud is set).',
        default: ({ cloud }) => defaultMtu(cloud),
      },
    ),
    nat_outgoing: option(z.boolean(), {
      describe: 'NAT traffic from pods leaving the pod network (default true).',
      default: true,
    }),
    ip_autodetection_method: option(
      parsedString('a Calico IP autodetection method', 'InvalidAutodetection', checkAutodetectionMethod),
      {
        describe:
          "How calico-node picks the node's address (IP_AUTODETECTION_METHOD): kubernetes-internal-ip (default), can-reach=DEST, interface=REGEX, skip-interface=REGEX, cidr=CIDR or first-found.",
        // calico-node's own variable in `environment` is the same setting: one value, from either place.
        from: [
          'self',
          { path: ['network', 'calico', 'environment', 'IP_AUTODETECTION_METHOD'], map: String },
        ],
        default: ({ hosts }) => defaultAutodetection(hosts),
      },
    ),
    environment: option(z.record(z.string(), scalar), {
      describe: 'Extra env vars for calico-node.',
      resolve: (env) => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])),
      default: {},
      entryOrigins: true,
    }),
    datastore: option(z.enum(DATASTORES), {
      describe: 'Where Calico keeps its data: kubernetes (default) or etcd.',
      default: 'kubernetes',
    }),
    etcd: option(etcdSchema, {
      describe: 'etcd datastore connection (datastore: etcd).',
      resolve: (etcd, { baseDir }) => {
        // A file with errors may leave the endpoints out (the schema said so already).
        const out: EtcdConfig = { endpoints: etcd.endpoints ?? [] };
        for (const key of ['ca_file', 'cert_file', 'key_file'] as const) {
          const file = etcd[key];
          if (file) out[key] = resolvePath(baseDir, file);
        }
        return out;
      },
      quietWhenEmpty: true,
    }),
    typha: option(z.union([z.boolean(), z.literal('auto')], { error: 'must be true, false or "auto"' }), {
      describe: 'Run Typha (kubernetes datastore): auto (default) turns it on above 50 hosts.',
      resolve: (typha) => typha === true,
      default: ({ hosts, datastore }) => {
        const auto = autoTypha(hosts.length, datastore);
        return { value: auto.enabled, reason: auto.reason };
      },
      auto: true,
      quietWhenEmpty: true,
    }),
    typha_replicas: option(
      z.union([z.int().min(1), z.literal('auto')], {
        error: 'must be a whole number of replicas (at least 1) or "auto"',
      }),
      {
        describe: 'Typha replicas: auto (default) is one per 200 hosts, at least 3, at most 20.',
        resolve: (replicas) => (typeof replicas === 'number' ? replicas : TYPHA_UPSTREAM_REPLICAS),
        default: ({ hosts }) => ({
          value: defaultTyphaReplicas(hosts.length),
          reason: typhaReplicasReason(hosts.length),
        }),
        auto: true,
        quietWhenEmpty: true,
      },
    ),
  })
  .describe('Calico options.');

export const customSchema = z
  .strictObject({
    manifest_path: nonEmptyPath.describe('File or directory of manifests, relative to cluster.yml.'),
    options: z.record(z.string(), z.unknown()).describe('Values passed to the manifest templates.').nullish(),
  })
  .describe('Custom provider options.');

/** Pharos' default open ports: ssh everywhere, HTTP(S) ingress on workers, the API on masters, NodePorts. */
const DEFAULT_OPEN_PORTS: FirewallPort[] = [
  { port: '22', protocol: 'tcp', roles: ['*'] },
  { port: '80', protocol: 'tcp', roles: ['worker'] },
  { port: '443', protocol: 'tcp', roles: ['worker'] },
  { port: '6443', protocol: 'tcp', roles: ['master'] },
  { port: '30000-32767', protocol: 'tcp', roles: ['*'] },
  { port: '30000-32767', protocol: 'udp', roles: ['*'] },
];

export const firewalldSchema = z.strictObject({
  enabled: option(z.boolean(), {
    describe: 'Generate firewalld rules for Pharos to install (default false).',
    default: false,
  }),
  open_ports: option(
    z.array(
      z.strictObject({
        port,
        protocol: z.enum(['tcp', 'udp']),
        roles: z.array(z.enum(['master', 'worker', '*'])).min(1),
      }),
    ),
    {
      describe:
        "Ports open to everyone (default: Pharos' ssh, HTTP(S) on workers, the API on masters, NodePorts).",
      resolve: (ports): FirewallPort[] => ports.map((p) => ({ ...p, port: String(p.port) })),
      default: DEFAULT_OPEN_PORTS,
    },
  ),
  trusted_subnets: option(z.array(cidr()), {
    describe: 'Subnets whose traffic is accepted on every port.',
    default: [],
  }),
});

/** The cloud netpack's rules know a Pharos `cloud.provider` as, if any. */
function pharosCloud(provider: unknown): Cloud | undefined {
  return typeof provider === 'string' && Object.hasOwn(PHAROS_CLOUD_PROVIDERS, provider)
    ? PHAROS_CLOUD_PROVIDERS[provider]
    : undefined;
}

export const networkSchema = z
  .strictObject({
    provider: option(z.enum(PROVIDERS), {
      describe: 'Network provider: weave (default), calico or custom.',
      default: 'weave',
    }),
    firewalld: block(firewalldSchema, 'Host firewall (firewalld) rules.'),
    service_cidr: option(cidr(), {
      describe: 'Service IP range (default 10.96.0.0/12).',
      // Pharos' defaults: kubeadm's service range and Weave's own pod range.
      default: '10.96.0.0/12',
    }),
    pod_network_cidr: option(cidr(), {
      describe: 'Pod IP range (default 10.32.0.0/12).',
      from: ['self', { path: ['network', 'calico', 'calicoNetworkCIDR'] }],
      default: '10.32.0.0/12',
    }),
    node_local_dns_cache: option(
      z.union([z.boolean(), z.strictObject({ enabled: z.boolean() })], {
        error: 'must be true, false or a map {enabled: true|false}',
      }),
      {
        describe: 'Run the node-local DNS cache (default true).',
        resolve: (v) => ({ enabled: typeof v === 'boolean' ? v : v.enabled }),
        default: { enabled: true },
      },
    ),
    dns_replicas: option(z.int().min(1), {
      describe:
        'CoreDNS replicas as Pharos scaled CoreDNS (default 1 + ceil(hosts/10)); netpack does not deploy CoreDNS, so it only checks and explains it.',
      default: ({ hosts }) => ({ value: defaultDnsReplicas(hosts.length) }),
    }),
    weave: block(weaveSchema),
    calico: block(calicoSchema),
    cloud: option(z.enum(CLOUDS), {
      describe: 'Cloud the cluster runs on (alias of top-level cloud.provider).',
      // Pharos names clouds its own way (gce, vsphere, hcloud, ...): both places map onto
      // netpack's, and a cloud no rule depends on (baremetal, hcloud, ...) onto none.
      from: [
        { path: ['cloud', 'provider'], map: pharosCloud },
        { key: 'cloud', map: pharosCloud },
      ],
    }),
    image_repository: option(imageRepository, {
      describe: 'Registry prefix replacing the upstream registries (alias of top-level image_repository).',
      from: [{ path: ['image_repository'] }, 'self'],
      resolve: (repository) => repository.replace(/\/+$/, ''),
    }),
    trusted_subnets: alias(z.array(cidr()), 'Deprecated: use weave.trusted_subnets.'),
    custom: option(customSchema, {
      describe: 'Custom provider options.',
      resolve: (custom, { baseDir }) =>
        custom.manifest_path
          ? { manifest_path: resolvePath(baseDir, custom.manifest_path), options: custom.options ?? {} }
          : undefined,
      originAt: 'manifest_path',
      quietWhenEmpty: true,
    }),
  })
  .describe('The network: section of cluster.yml.');

/** Keys Pharos 3.x accepts on a host; netpack reads address, private_address, role, labels and ssh_port. */
export const hostSchema = z.strictObject({
  address: ipOrHostname,
  private_address: ipOrHostname.nullish(),
  private_interface: z.string().nullish(),
  role: z.enum(['master', 'worker']),
  labels: z.record(z.string(), scalar).nullish(),
  taints: z.array(z.record(z.string(), z.unknown())).nullish(),
  user: z.string().nullish(),
  ssh_key_path: z.string().nullish(),
  ssh_port: z.int().min(1).max(65535).nullish(),
  ssh_proxy_command: z.string().nullish(),
  bastion: z.record(z.string(), z.unknown()).nullish(),
  container_runtime: z.string().nullish(),
  environment: z.record(z.string(), scalar).nullish(),
  repositories: z.array(z.record(z.string(), z.unknown())).nullish(),
  hostname: z.string().nullish(),
  name: z.string().nullish(),
});

/** kube-proxy's mode: a top-level key of Pharos, an option of the network as netpack sees it. */
export const kubeProxyMode = option(z.enum([...KUBE_PROXY_MODES, 'userspace']), {
  describe: "kube-proxy's mode (Pharos' kube_proxy.mode): iptables (default), ipvs or nftables.",
  // userspace was removed from kube-proxy (Kubernetes 1.26): netpack plans for iptables.
  resolve: (mode) => (mode === 'ipvs' || mode === 'nftables' ? mode : 'iptables'),
  default: 'iptables',
  as: 'network.kube_proxy_mode',
});

/** Top-level keys netpack reads; the rest of a Pharos file is accepted and ignored (see pharos.ts). */
export const topLevelSchema = z.object({
  network: networkSchema.nullish(),
  hosts: z.array(hostSchema).nullish(),
  image_repository: imageRepository.nullish(),
  cloud: z
    .object({
      provider: z.enum(Object.keys(PHAROS_CLOUD_PROVIDERS)).nullish(),
      config: z.string().nullish(),
    })
    .nullish(),
  kube_proxy: z.object({ mode: kubeProxyMode }).nullish(),
});

export type RawCluster = z.input<typeof topLevelSchema>;
export type RawNetwork = z.input<typeof networkSchema>;

/** JSON Schema of the `network:` section, for editors (yaml-language-server). */
export function networkJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(networkSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    ...(hoistDescriptions(schema) as Record<string, unknown>),
    title: 'netpack network section',
  };
}

/**
 * JSON Schema of a whole cluster.yml, for editors (`# yaml-language-server: $schema=...`): the keys
 * netpack reads with their shapes, the Pharos keys netpack ignores accepted with any value, and no
 * other key (an editor flags `netwrok:` as netpack does). Draft 7, which every editor's YAML
 * support reads.
 */
export function clusterJsonSchema(): Record<string, unknown> {
  const schema = hoistDescriptions(
    z.toJSONSchema(topLevelSchema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }),
  ) as Record<string, unknown> & { properties: Record<string, unknown> };
  const ignored = Object.fromEntries(
    PHAROS_TOP_LEVEL.map((key) => [key, { description: `Pharos' ${key}: accepted, not used by netpack.` }]),
  );
  return {
    $schema: schema.$schema,
    title: 'Pharos-style cluster.yml (netpack)',
    description: 'hosts: and network: as netpack reads them; the other Pharos keys are accepted and ignored.',
    type: 'object',
    properties: { ...schema.properties, ...ignored },
    additionalProperties: false,
    ...(schema.definitions ? { definitions: schema.definitions } : {}),
  };
}

/**
 * Every option may be left empty (`key:` reads as null), so zod writes `anyOf: [X, null]` with
 * the description inside X. Editors show the description of the property itself: lift it up.
 */
function hoistDescriptions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(hoistDescriptions);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = hoistDescriptions(v);
  const anyOf = out.anyOf as Record<string, unknown>[] | undefined;
  if (Array.isArray(anyOf) && anyOf.some((a) => a.type === 'null') && out.description === undefined) {
    const described = anyOf.find((a) => typeof a.description === 'string');
    if (described) out.description = described.description;
  }
  return out;
}
