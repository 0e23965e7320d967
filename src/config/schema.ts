/**
 * The shape of `cluster.yml` as the operator writes it (before defaults and aliases), as zod
 * schemas. Field-level checks (a CIDR parses, a port is a port) live here so that their issues
 * carry the field's path; checks across fields live in rules.ts.
 */
import { z } from 'zod';
import { checkAutodetectionMethod } from './autodetect.ts';
import { parseCidr, parseIp } from './cidr.ts';
import type { DiagnosticCode } from './diagnostics.ts';
import { PHAROS_CLOUD_PROVIDERS, PHAROS_TOP_LEVEL } from './pharos.ts';
import { looksLikeUnexpandedVariable } from './suggest.ts';
import {
  CLOUDS,
  DATASTORES,
  ENCAPSULATION_MODES,
  ENCAPSULATIONS,
  IPALLOC_INITS,
  IPTABLES_BACKENDS,
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

/** RFC 1123 host name, as Pharos accepted for host addresses. */
const HOSTNAME =
  /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** An IP address, or a host name (skipped in CIDR overlap checks). */
const ipOrHostname = z.string().superRefine((value, ctx) => {
  if (/^[\d.]+$/.test(value) || value.includes(':')) {
    const parsed = parseIp(value, { allowV6: true });
    if (!parsed.ok)
      ctx.addIssue({
        code: 'custom',
        message: `must be an IP address or host name: ${parsed.reason}`,
        input: value,
        params: { code: 'InvalidAddress' },
      });
  } else if (!HOSTNAME.test(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `must be an IP address or host name (got "${value}")`,
      input: value,
      params: { code: 'InvalidAddress' },
    });
  }
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
    trusted_subnets: z
      .array(cidr())
      .describe('Subnets where the overlay runs without IPsec (trusted).')
      .nullish(),
    no_masq_local: z
      .boolean()
      .describe('Preserve client source IPs for externalTrafficPolicy=Local services.')
      .nullish(),
    password: nonEmptyPath
      .describe('Path of a file holding the shared secret, relative to cluster.yml.')
      .nullish(),
    known_peers: z
      .array(ip({ allowV6: true }))
      .describe('Initial peer addresses (multi-cluster pod networks).')
      .nullish(),
    ipalloc_default_subnet: cidr()
      .describe('Subnet for pod IP allocation, inside pod_network_cidr.')
      .nullish(),
    remote_subnets: z
      .array(cidr())
      .describe("Other clusters' allocation subnets to route through the bridge.")
      .nullish(),
    image_version: z
      .enum(WEAVE_VERSIONS)
      .describe(
        'Weave Net release: 2.8.1 (upstream, archived) or the maintained fork 2.8.2..2.9.0 (default 2.9.0).',
      )
      .nullish(),
    iptables_backend: z
      .enum(IPTABLES_BACKENDS)
      .describe(
        'iptables backend of Weave 2.9.0 (IPTABLES_BACKEND): auto (detected, default), nft or legacy.',
      )
      .nullish(),
    ipalloc_init: z
      .enum(IPALLOC_INITS)
      .describe(
        "IP allocation start: consensus among this cluster's nodes (default), or observer (take space from the other clusters).",
      )
      .nullish(),
    peering: z
      .strictObject({
        enabled: z
          .boolean()
          .describe('Run the region-aware peering side-car (default: on when hosts span regions).')
          .nullish(),
        image: z
          .string()
          .min(1)
          .describe('Side-car image (default: the official node image running the side-car script).')
          .nullish(),
        kubelet_dnat: z
          .boolean()
          .describe('Route kubelet traffic (10250) to peers in other regions through the overlay.')
          .nullish(),
      })
      .describe('Region-aware peering: same region over private addresses, other regions over public ones.')
      .nullish(),
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

export const calicoSchema = z
  .strictObject({
    encapsulation: z.enum(ENCAPSULATIONS).describe('Encapsulation: ipip (default) or vxlan.').nullish(),
    mode: modeSchema.describe('When to encapsulate: Always (default), CrossSubnet or Never.').nullish(),
    ipip_mode: modeSchema.describe('Pharos spelling: IP-in-IP mode (sets encapsulation ipip).').nullish(),
    vxlan_mode: modeSchema.describe('VXLAN mode (sets encapsulation vxlan).').nullish(),
    encapsulationType: z
      .enum(['CALICO_IPV4POOL_IPIP', 'CALICO_IPV4POOL_VXLAN'])
      .describe('Spectro pack spelling of encapsulation.')
      .nullish(),
    encapsulationMode: modeSchema.describe('Spectro pack spelling of mode.').nullish(),
    calicoNetworkCIDR: cidr()
      .describe('Spectro pack spelling of the pod CIDR; must equal pod_network_cidr.')
      .nullish(),
    mtu: z
      .union([z.int().min(576).max(9000), z.literal('auto')], {
        error: 'must be a whole number from 576 to 9000 (the MTU of the host network) or "auto"',
      })
      .describe(
        'MTU of the host network (576..9000), or auto (default; the cloud network MTU when cloud is set).',
      )
      .nullish(),
    nat_outgoing: z
      .boolean()
      .describe('NAT traffic from pods leaving the pod network (default true).')
      .nullish(),
    ip_autodetection_method: parsedString(
      'a Calico IP autodetection method',
      'InvalidAutodetection',
      checkAutodetectionMethod,
    )
      .describe(
        "How calico-node picks the node's address (IP_AUTODETECTION_METHOD): kubernetes-internal-ip (default), can-reach=DEST, interface=REGEX, skip-interface=REGEX, cidr=CIDR or first-found.",
      )
      .nullish(),
    environment: z.record(z.string(), scalar).describe('Extra env vars for calico-node.').nullish(),
    datastore: z
      .enum(DATASTORES)
      .describe('Where Calico keeps its data: kubernetes (default) or etcd.')
      .nullish(),
    etcd: etcdSchema.describe('etcd datastore connection (datastore: etcd).').nullish(),
    typha: z
      .union([z.boolean(), z.literal('auto')], { error: 'must be true, false or "auto"' })
      .describe('Run Typha (kubernetes datastore): auto (default) turns it on above 50 hosts.')
      .nullish(),
    typha_replicas: z
      .union([z.int().min(1), z.literal('auto')], {
        error: 'must be a whole number of replicas (at least 1) or "auto"',
      })
      .describe('Typha replicas: auto (default) is one per 200 hosts, at least 3, at most 20.')
      .nullish(),
  })
  .describe('Calico options.');

export const customSchema = z
  .strictObject({
    manifest_path: nonEmptyPath.describe('File or directory of manifests, relative to cluster.yml.'),
    options: z.record(z.string(), z.unknown()).describe('Values passed to the manifest templates.').nullish(),
  })
  .describe('Custom provider options.');

export const firewalldSchema = z.strictObject({
  enabled: z.boolean().nullish(),
  open_ports: z
    .array(
      z.strictObject({
        port,
        protocol: z.enum(['tcp', 'udp']),
        roles: z.array(z.enum(['master', 'worker', '*'])).min(1),
      }),
    )
    .nullish(),
  trusted_subnets: z.array(cidr()).nullish(),
});

export const networkSchema = z
  .strictObject({
    provider: z.enum(PROVIDERS).describe('Network provider: weave (default), calico or custom.').nullish(),
    service_cidr: cidr().describe('Service IP range (default 10.96.0.0/12).').nullish(),
    pod_network_cidr: cidr().describe('Pod IP range (default 10.32.0.0/12).').nullish(),
    node_local_dns_cache: z
      .union([z.boolean(), z.strictObject({ enabled: z.boolean() })], {
        error: 'must be true, false or a map {enabled: true|false}',
      })
      .describe('Run the node-local DNS cache (default true).')
      .nullish(),
    dns_replicas: z
      .int()
      .min(1)
      .describe(
        'CoreDNS replicas as Pharos scaled CoreDNS (default 1 + ceil(hosts/10)); netpack does not deploy CoreDNS, so it only checks and explains it.',
      )
      .nullish(),
    cloud: z
      .enum(CLOUDS)
      .describe('Cloud the cluster runs on (alias of top-level cloud.provider).')
      .nullish(),
    image_repository: imageRepository
      .describe('Registry prefix replacing the upstream registries (alias of top-level image_repository).')
      .nullish(),
    trusted_subnets: z.array(cidr()).describe('Deprecated: use weave.trusted_subnets.').nullish(),
    firewalld: firewalldSchema.describe('Host firewall (firewalld) rules.').nullish(),
    weave: weaveSchema.nullish(),
    calico: calicoSchema.nullish(),
    custom: customSchema.nullish(),
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
  kube_proxy: z.object({ mode: z.enum([...KUBE_PROXY_MODES, 'userspace']).nullish() }).nullish(),
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
