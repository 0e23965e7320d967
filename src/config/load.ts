/**
 * The config model's entry point: cluster.yml text in, the effective `ClusterConfig` or every
 * diagnostic out. Pure: the only outside fact it needs (do the files named in the config exist?)
 * comes through the `FileProbe` the caller passes.
 */
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import {
  autoTypha,
  DEFAULT_OPEN_PORTS,
  DEFAULT_PEERING_IMAGE,
  DEFAULT_POD_NETWORK_CIDR,
  DEFAULT_SERVICE_CIDR,
  DEFAULT_WEAVE_VERSION,
  defaultAutodetection,
  defaultDnsReplicas,
  defaultMtu,
  defaultTyphaReplicas,
  typhaReplicasReason,
} from './defaults.ts';
import type { Diagnostic } from './diagnostics.ts';
import { hasErrors, sortDiagnostics } from './diagnostics.ts';
import { forbiddenKeyMessage, forbiddenKeys } from './keys.ts';
import { KNOWN_TOP_LEVEL, PHAROS_CLOUD_PROVIDERS } from './pharos.ts';
import { formatPath, type PathSegment, SourceMap } from './positions.ts';
import { type FileProbe, Reporter, resolvePath } from './reporter.ts';
import { checkRules, hostRegions } from './rules.ts';
import { type RawCluster, topLevelSchema } from './schema.ts';
import { didYouMean } from './suggest.ts';
import type {
  CalicoConfig,
  ClusterConfig,
  Encapsulation,
  EncapsulationMode,
  Host,
  NetworkConfig,
  Origin,
} from './types.ts';
import { convertIssues } from './zod-issues.ts';

export interface LoadOptions {
  /** The file name used in diagnostics. */
  file: string;
  /** Directory that relative paths in the config are resolved against. */
  baseDir: string;
  probe: FileProbe;
}

export interface LoadResult {
  /** Present only when there are no errors. */
  config?: ClusterConfig;
  diagnostics: Diagnostic[];
  /** For each canonical option path (e.g. `network.calico.mode`), where its value came from. */
  origins: Record<string, Origin>;
  /** The file holds no document content (blank, comments, markers): every option is a default. */
  empty?: true;
}

/** Reads a value at `path` of plain data, or undefined. */
function dig(data: unknown, path: readonly PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/**
 * Builds the effective config from the raw data, filling defaults and mapping aliases, and
 * records where each value came from.
 */
export class Resolver {
  readonly origins: Record<string, Origin> = {};
  /** For each canonical option path, the path the operator wrote it at (aliases included). */
  readonly sources: Record<string, PathSegment[]> = {};

  constructor(
    private readonly raw: unknown,
    private readonly r: Reporter,
  ) {}

  /** The raw value at `path` when the file has it and it passed the schema; else undefined. */
  get<T>(path: readonly PathSegment[]): T | undefined {
    if (this.r.isBad(path)) return undefined;
    const value = dig(this.raw, path);
    return value === undefined || value === null ? undefined : (value as T);
  }

  fromFile(canonical: string, path: readonly PathSegment[]): void {
    const pos = this.r.source.valuePosition(path);
    this.origins[canonical] = { from: 'file', path: formatPath(path), ...pos };
    this.sources[canonical] = [...path];
  }

  fromDefault(canonical: string, reason?: string): void {
    this.origins[canonical] = reason ? { from: 'default', reason } : { from: 'default' };
  }

  /** Takes the first of `paths` the file sets (reporting conflicts between them), else `fallback`. */
  pick<T>(canonical: string, paths: PathSegment[][], fallback: T, map: (v: unknown) => T = (v) => v as T): T {
    let chosen: { path: PathSegment[]; value: T } | undefined;
    for (const path of paths) {
      const value = this.get<unknown>(path);
      if (value === undefined) continue;
      const mapped = map(value);
      if (!chosen) chosen = { path, value: mapped };
      else if (JSON.stringify(chosen.value) !== JSON.stringify(mapped)) {
        this.r.error(
          'AliasConflict',
          path,
          `is ${JSON.stringify(mapped)}, which conflicts with ${formatPath(chosen.path)} (${JSON.stringify(chosen.value)})`,
          `set only one of ${paths.map(formatPath).join(', ')}`,
        );
      }
    }
    if (chosen) {
      this.fromFile(canonical, chosen.path);
      return chosen.value;
    }
    // `key:` with nothing after it reads as null and means the default, which is right for a
    // block whose options are all commented out, but for a single value it is more often a
    // slip, or a template variable that was not set: say which default it got.
    const empty = paths.find((path) => dig(this.raw, path) === null && !this.r.isBad(path));
    if (empty && (fallback === null || typeof fallback !== 'object'))
      this.r.warning(
        'EmptyValue',
        empty,
        `is empty, so the default applies (${JSON.stringify(fallback)})`,
        'give it a value, or remove the key (an unset template variable leaves a key empty like this)',
        { atKey: true },
      );
    this.fromDefault(canonical);
    return fallback;
  }
}

const N = 'network';

/**
 * `typha` and `typha_replicas`: a written true/false or number wins; `auto` (written or not) is
 * resolved from the host count and datastore and recorded as a default with its reason, while
 * rules can still point at where `auto` was written.
 */
function resolveTypha(
  res: Resolver,
  hostCount: number,
  datastore: CalicoConfig['datastore'],
): Pick<CalicoConfig, 'typha' | 'typha_replicas'> {
  const C = [N, 'calico'];
  const written = res.get<boolean | 'auto'>([...C, 'typha']);
  let typha: boolean;
  if (typeof written === 'boolean') {
    typha = written;
    res.fromFile('network.calico.typha', [...C, 'typha']);
  } else {
    const auto = autoTypha(hostCount, datastore);
    typha = auto.enabled;
    res.fromDefault('network.calico.typha', written === 'auto' ? `auto: ${auto.reason}` : auto.reason);
    if (written === 'auto') res.sources['network.calico.typha'] = [...C, 'typha'];
  }
  const replicas = res.get<number | 'auto'>([...C, 'typha_replicas']);
  let typha_replicas: number;
  if (typeof replicas === 'number') {
    typha_replicas = replicas;
    res.fromFile('network.calico.typha_replicas', [...C, 'typha_replicas']);
  } else {
    typha_replicas = defaultTyphaReplicas(hostCount);
    const reason = typhaReplicasReason(hostCount);
    res.fromDefault('network.calico.typha_replicas', replicas === 'auto' ? `auto: ${reason}` : reason);
    if (replicas === 'auto') res.sources['network.calico.typha_replicas'] = [...C, 'typha_replicas'];
  }
  return { typha, typha_replicas };
}

function resolveCalico(
  res: Resolver,
  r: Reporter,
  cloud: NetworkConfig['cloud'],
  baseDir: string,
  hosts: Host[],
): CalicoConfig {
  const hostCount = hosts.length;
  const C = [N, 'calico'];
  // Encapsulation: netpack's `encapsulation`, implied by `ipip_mode`/`vxlan_mode`, or the Spectro
  // pack's `encapsulationType`.
  const encapsulationPaths: PathSegment[][] = [
    [...C, 'encapsulation'],
    [...C, 'ipip_mode'],
    [...C, 'vxlan_mode'],
    [...C, 'encapsulationType'],
  ];
  const encapsulationOf =
    (path: PathSegment[]) =>
    (v: unknown): Encapsulation => {
      const key = path[path.length - 1];
      if (key === 'ipip_mode') return 'ipip';
      if (key === 'vxlan_mode') return 'vxlan';
      if (key === 'encapsulationType') return v === 'CALICO_IPV4POOL_VXLAN' ? 'vxlan' : 'ipip';
      return v as Encapsulation;
    };
  let encapsulation: Encapsulation | undefined;
  let encapsulationFrom: PathSegment[] | undefined;
  for (const path of encapsulationPaths) {
    const value = res.get<unknown>(path);
    if (value === undefined) continue;
    const mapped = encapsulationOf(path)(value);
    if (!encapsulation) {
      encapsulation = mapped;
      encapsulationFrom = path;
    } else if (mapped !== encapsulation) {
      r.error(
        'AliasConflict',
        path,
        `asks for ${mapped} encapsulation but ${formatPath(encapsulationFrom!)} asks for ${encapsulation}`,
        'choose one encapsulation: calico.encapsulation: ipip | vxlan',
      );
    }
  }
  if (encapsulation && encapsulationFrom) res.fromFile('network.calico.encapsulation', encapsulationFrom);
  else if (cloud === 'azure') {
    encapsulation = 'vxlan';
    res.fromDefault('network.calico.encapsulation', 'Azure does not carry IP-in-IP');
  } else {
    encapsulation = 'ipip';
    res.fromDefault('network.calico.encapsulation');
  }

  const mode = res.pick<EncapsulationMode>(
    'network.calico.mode',
    [
      [...C, 'mode'],
      [...C, 'ipip_mode'],
      [...C, 'vxlan_mode'],
      [...C, 'encapsulationMode'],
    ],
    'Always',
  );
  const mtuDefault = defaultMtu(cloud);
  const mtu = res.pick<number | 'auto'>('network.calico.mtu', [[...C, 'mtu']], mtuDefault.mtu);
  if (res.origins['network.calico.mtu']?.from === 'default')
    res.fromDefault('network.calico.mtu', mtuDefault.reason);
  const nat_outgoing = res.pick('network.calico.nat_outgoing', [[...C, 'nat_outgoing']], true);
  const autodetect = defaultAutodetection(hosts);
  // calico-node's own variable in `environment` is the same setting: one value, from either place.
  const ip_autodetection_method = res.pick(
    'network.calico.ip_autodetection_method',
    [
      [...C, 'ip_autodetection_method'],
      [...C, 'environment', 'IP_AUTODETECTION_METHOD'],
    ],
    autodetect.method,
    String,
  );
  if (res.origins['network.calico.ip_autodetection_method']?.from === 'default')
    res.fromDefault('network.calico.ip_autodetection_method', autodetect.reason);
  const environment = res.pick<Record<string, string>>(
    'network.calico.environment',
    [[...C, 'environment']],
    {},
    (v) =>
      Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, val]) => [k, String(val)])),
  );
  // Each variable has its own line in the file: explain points at it, not at the first one.
  for (const name of Object.keys(environment)) {
    if (res.sources['network.calico.environment'])
      res.fromFile(`network.calico.environment.${name}`, [...C, 'environment', name]);
  }
  const datastore = res.pick<'kubernetes' | 'etcd'>(
    'network.calico.datastore',
    [[...C, 'datastore']],
    'kubernetes',
  );
  const calico: CalicoConfig = {
    encapsulation,
    mode,
    mtu,
    nat_outgoing,
    ip_autodetection_method,
    environment,
    datastore,
    ...resolveTypha(res, hostCount, datastore),
  };
  const etcd = res.get<{ endpoints: string[]; ca_file?: string; cert_file?: string; key_file?: string }>([
    ...C,
    'etcd',
  ]);
  if (etcd) {
    res.fromFile('network.calico.etcd', [...C, 'etcd']);
    calico.etcd = { endpoints: etcd.endpoints ?? [] };
    for (const key of ['ca_file', 'cert_file', 'key_file'] as const) {
      const value = res.get<string>([...C, 'etcd', key]);
      if (value) calico.etcd[key] = resolvePath(baseDir, value);
    }
  }
  return calico;
}

function resolveNetwork(res: Resolver, r: Reporter, hosts: Host[], baseDir: string): NetworkConfig {
  const provider = res.pick('network.provider', [[N, 'provider']], 'weave' as const);
  const service_cidr = res.pick('network.service_cidr', [[N, 'service_cidr']], DEFAULT_SERVICE_CIDR);
  const pod_network_cidr = res.pick(
    'network.pod_network_cidr',
    [
      [N, 'pod_network_cidr'],
      [N, 'calico', 'calicoNetworkCIDR'],
    ],
    DEFAULT_POD_NETWORK_CIDR,
  );
  const node_local_dns_cache = res.pick(
    'network.node_local_dns_cache',
    [[N, 'node_local_dns_cache']],
    { enabled: true },
    (v) => (typeof v === 'boolean' ? { enabled: v } : { enabled: (v as { enabled: boolean }).enabled }),
  );
  const dnsDefault = defaultDnsReplicas(hosts.length);
  const dns_replicas = res.pick('network.dns_replicas', [[N, 'dns_replicas']], dnsDefault);
  // Pharos names clouds its own way (gce, vsphere, hcloud, ...): map them onto netpack's.
  const cloud = res.pick<NetworkConfig['cloud']>(
    'network.cloud',
    [
      ['cloud', 'provider'],
      [N, 'cloud'],
    ],
    undefined,
    (v) =>
      typeof v === 'string' && v in PHAROS_CLOUD_PROVIDERS
        ? PHAROS_CLOUD_PROVIDERS[v]
        : (v as NetworkConfig['cloud']),
  );
  const image_repository = res.pick<string | undefined>(
    'network.image_repository',
    [['image_repository'], [N, 'image_repository']],
    undefined,
  );
  if (res.get(['kube_proxy', 'mode']) === 'userspace')
    r.warning(
      'Deprecated',
      ['kube_proxy', 'mode'],
      'userspace mode was removed from kube-proxy (Kubernetes 1.26); netpack plans for iptables',
      'set kube_proxy.mode: iptables',
    );
  const kube_proxy_mode = res.pick<NetworkConfig['kube_proxy_mode']>(
    'network.kube_proxy_mode',
    [['kube_proxy', 'mode']],
    'iptables',
    (v) => (v === 'ipvs' || v === 'nftables' ? v : 'iptables'),
  );

  const W = [N, 'weave'];
  const trustedPaths: PathSegment[][] = [
    [...W, 'trusted_subnets'],
    [N, 'trusted_subnets'],
  ];
  if (res.get([N, 'trusted_subnets']) !== undefined)
    r.warning(
      'Deprecated',
      [N, 'trusted_subnets'],
      'is deprecated (Pharos 1.x)',
      'move it to network.weave.trusted_subnets',
      {
        atKey: true,
      },
    );
  // Pharos always ran its peering side-car; netpack turns it on by itself where it matters: hosts
  // in more than one region, whose private addresses do not route between regions.
  const regions = hostRegions(hosts);
  const password = res.get<string>([...W, 'password']);
  const ipalloc = res.get<string>([...W, 'ipalloc_default_subnet']);
  const weave: NetworkConfig['weave'] = {
    trusted_subnets: res.pick<string[]>('network.weave.trusted_subnets', trustedPaths, []),
    no_masq_local: res.pick('network.weave.no_masq_local', [[...W, 'no_masq_local']], false),
    known_peers: res.pick<string[]>('network.weave.known_peers', [[...W, 'known_peers']], []),
    remote_subnets: res.pick<string[]>('network.weave.remote_subnets', [[...W, 'remote_subnets']], []),
    image_version: res.pick('network.weave.image_version', [[...W, 'image_version']], DEFAULT_WEAVE_VERSION),
    iptables_backend: res.pick(
      'network.weave.iptables_backend',
      [[...W, 'iptables_backend']],
      'auto' as const,
    ),
    ipalloc_init: res.pick('network.weave.ipalloc_init', [[...W, 'ipalloc_init']], 'consensus' as const),
    peering: {
      enabled: res.pick('network.weave.peering.enabled', [[...W, 'peering', 'enabled']], regions.length > 1),
      image: res.pick('network.weave.peering.image', [[...W, 'peering', 'image']], DEFAULT_PEERING_IMAGE),
      kubelet_dnat: res.pick(
        'network.weave.peering.kubelet_dnat',
        [[...W, 'peering', 'kubelet_dnat']],
        false,
      ),
    },
  };
  if (regions.length > 1 && res.get([...W, 'peering', 'enabled']) === undefined)
    res.fromDefault('network.weave.peering.enabled', `the hosts span regions ${regions.join(', ')}`);
  if (res.get([...W, 'peering', 'image']) === undefined)
    res.fromDefault(
      'network.weave.peering.image',
      'the official Node.js image, running the side-car script from ConfigMap weave-net-peers',
    );
  if (res.get([...W, 'image_version']) === undefined)
    res.fromDefault('network.weave.image_version', 'the maintained fork; upstream 2.8.1 is archived');
  if (password) {
    weave.password = resolvePath(baseDir, password);
    res.fromFile('network.weave.password', [...W, 'password']);
  }
  if (ipalloc) {
    weave.ipalloc_default_subnet = ipalloc;
    res.fromFile('network.weave.ipalloc_default_subnet', [...W, 'ipalloc_default_subnet']);
  }

  const F = [N, 'firewalld'];
  const firewalld: NetworkConfig['firewalld'] = {
    enabled: res.pick('network.firewalld.enabled', [[...F, 'enabled']], false),
    open_ports: res.pick<NetworkConfig['firewalld']['open_ports']>(
      'network.firewalld.open_ports',
      [[...F, 'open_ports']],
      structuredClone(DEFAULT_OPEN_PORTS) as NetworkConfig['firewalld']['open_ports'],
      (v) =>
        (v as { port: string | number; protocol: 'tcp' | 'udp'; roles: ('master' | 'worker' | '*')[] }[]).map(
          (p) => ({ ...p, port: String(p.port) }),
        ),
    ),
    trusted_subnets: res.pick<string[]>('network.firewalld.trusted_subnets', [[...F, 'trusted_subnets']], []),
  };

  const network: NetworkConfig = {
    provider,
    firewalld,
    service_cidr,
    pod_network_cidr,
    node_local_dns_cache,
    dns_replicas,
    weave,
    calico: resolveCalico(res, r, cloud, baseDir, hosts),
    kube_proxy_mode,
  };
  if (cloud) network.cloud = cloud;
  if (image_repository) network.image_repository = image_repository.replace(/\/+$/, '');
  const manifestPath = res.get<string>([N, 'custom', 'manifest_path']);
  if (manifestPath) {
    network.custom = {
      manifest_path: resolvePath(baseDir, manifestPath),
      options: res.get<Record<string, unknown>>([N, 'custom', 'options']) ?? {},
    };
    res.fromFile('network.custom.manifest_path', [N, 'custom', 'manifest_path']);
  }
  return network;
}

function resolveHosts(res: Resolver): Host[] {
  const raw = res.get<unknown[]>(['hosts']) ?? [];
  return raw.map((_, i) => {
    const h = res.get<Record<string, unknown>>(['hosts', i]) ?? {};
    const host: Host = {
      address: String(h.address ?? ''),
      role: h.role === 'master' ? 'master' : 'worker',
      labels: Object.fromEntries(
        Object.entries((h.labels as Record<string, unknown>) ?? {}).map(([k, v]) => [k, String(v)]),
      ),
      ssh_port: typeof h.ssh_port === 'number' ? h.ssh_port : 22,
    };
    if (typeof h.private_address === 'string') host.private_address = h.private_address;
    return host;
  });
}

/**
 * Top-level keys neither netpack nor Pharos knows. One close to a known key (`netwrok`) is an
 * error: ignoring it would deploy the defaults instead of what the file asked for. Any other is
 * ignored with a warning (a key of a newer Pharos, a tool's own).
 */
function checkTopLevel(doc: unknown, r: Reporter): void {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return;
  for (const key of Object.keys(doc)) {
    if (KNOWN_TOP_LEVEL.includes(key)) continue;
    const hint = didYouMean(key, KNOWN_TOP_LEVEL);
    const path = [key === '' ? '""' : key];
    if (hint) r.error('UnknownKey', path, `unknown top-level key "${key}"`, hint, { atKey: true });
    else
      r.warning('UnknownKey', path, `unknown top-level key "${key}" is ignored`, undefined, { atKey: true });
  }
}

/** Offset of the first alias that names no anchor, if any (else the expansion was too large). */
function firstBadAlias(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (offset === undefined && node.resolve(doc) === undefined) offset = node.range?.[0];
    },
  });
  return offset;
}

/** The repeated key at `offset` and where its first occurrence starts, for a duplicate-key error. */
function duplicateKey(doc: Document, offset: number): { key: string; first: number } | undefined {
  let found: { key: string; first: number } | undefined;
  visit(doc, {
    Map(_, map) {
      const again = map.items.find((p) => isScalar(p.key) && p.key.range?.[0] === offset);
      if (!again || !isScalar(again.key)) return undefined;
      const value = again.key.value;
      const first = map.items.find((p) => isScalar(p.key) && p.key.value === value)?.key;
      found = { key: String(value), first: (isScalar(first) ? first.range?.[0] : undefined) ?? offset };
      return visit.BREAK;
    },
  });
  return found;
}

/** Offset of the first non-blank, non-comment text at or after the line starting at `at`. */
function contentFrom(text: string, at: number): number | undefined {
  while (at < text.length) {
    const end = text.indexOf('\n', at);
    const line = text.slice(at, end === -1 ? text.length : end);
    const content = line.trimStart();
    if (content !== '' && !content.startsWith('#')) return at + (line.length - content.length);
    if (end === -1) return undefined;
    at = end + 1;
  }
  return undefined;
}

/**
 * Where an over-indented key really is. For `provider: calico` followed by a line indented deeper
 * (`    mtu: 1400`), the parser reports the start of `calico` (the scalar it could not turn into a
 * map), a line where the user sees nothing wrong; with blank or comment lines between, it reports
 * the first blank line. The line to fix is the next line with content.
 */
function overIndentedLine(text: string, e: { code: string; pos: [number, number] }): number | undefined {
  const lineStart = text.lastIndexOf('\n', e.pos[0] - 1) + 1;
  if (e.code === 'BAD_INDENT') {
    const here = contentFrom(text, lineStart);
    const lineEnd = text.indexOf('\n', lineStart);
    // Only when the parser pointed at a blank or comment line; otherwise its line is right.
    return here !== undefined && (lineEnd === -1 || here > lineEnd) ? here : undefined;
  }
  const lineEnd = text.indexOf('\n', e.pos[0]);
  return lineEnd === -1 ? undefined : contentFrom(text, lineEnd + 1);
}

/** How to fix the YAML errors operators meet most, by the yaml library's error code. */
function yamlProblem(
  e: { code: string; message: string; pos: [number, number] },
  doc: Document,
  lineCounter: LineCounter,
  text: string,
): { message: string; hint?: string; at?: number } {
  const message = e.message.split('\n')[0] ?? e.message;
  if (e.code === 'BLOCK_AS_IMPLICIT_KEY') {
    const at = overIndentedLine(text, e);
    if (at !== undefined) {
      const { line } = lineCounter.linePos(e.pos[0]);
      const keyOf = (from: number) => JSON.stringify(text.slice(from).split(/[:\n]/)[0]?.trim() ?? '');
      const key = keyOf(text.lastIndexOf('\n', e.pos[0]) + 1);
      const nested = keyOf(at);
      return {
        message: `${nested} is indented deeper than ${key} on line ${line}, which already has a value; a key holds either a value or a map, not both`,
        hint: `indent ${nested} like ${key}, or move it under the map it belongs to`,
        at,
      };
    }
  }
  if (e.code === 'BAD_INDENT') {
    const at = overIndentedLine(text, e);
    if (at !== undefined)
      return { message, hint: 'indent this line like the keys of the map it belongs to', at };
  }
  if (e.code === 'TAB_AS_INDENT') return { message, hint: 'indent with spaces' };
  if (e.code === 'MULTIPLE_DOCS')
    return {
      message: 'a second YAML document starts here (after ---); a cluster file is one document',
      hint: 'remove this --- and join the documents, or keep the other one in a file of its own',
    };
  if (e.code === 'DUPLICATE_KEY') {
    const dup = duplicateKey(doc, e.pos[0]);
    if (!dup) return { message };
    const { line, col } = lineCounter.linePos(dup.first);
    return {
      message: `key ${JSON.stringify(dup.key)} appears twice in one map (first at line ${line}:${col}); map keys must be unique`,
      hint: 'keep one of them',
    };
  }
  return { message };
}

/** Parses and checks a cluster file. Never throws on bad input. */
/**
 * Most hosts a cluster file may list: ten times the 5,000 nodes Kubernetes supports per cluster.
 * Everything netpack does is linear in the hosts (20,000 take a few seconds), but without a
 * bound a runaway generated file (400,000 hosts: 30 s and 1.7 GB) is read to the end first.
 */
export const MAX_HOSTS = 50_000;

/** The hosts: list beyond `MAX_HOSTS`, found on the parsed document before anything is built from it. */
function checkHostCount(doc: Document, r: Reporter): boolean {
  const hosts = isMap(doc.contents) ? doc.contents.get('hosts', true) : undefined;
  if (!isSeq(hosts) || hosts.items.length <= MAX_HOSTS) return true;
  r.error(
    'TooManyHosts',
    ['hosts', MAX_HOSTS],
    `${hosts.items.length} hosts; netpack reads at most ${MAX_HOSTS} (ten times the 5,000 nodes Kubernetes supports in one cluster)`,
    'split the hosts into one cluster file per cluster',
  );
  return false;
}

export function loadConfig(text: string, opts: LoadOptions): LoadResult {
  const lineCounter = new LineCounter();
  // merge: `<<: *defaults` merge keys, which Pharos' YAML reader (Ruby's) understood.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const r = new Reporter(opts.file, new SourceMap(doc, lineCounter));
  const yamlProblems = [
    ...doc.errors.map((e) => ({ e, severity: 'error' as const })),
    ...doc.warnings.map((e) => ({ e, severity: 'warning' as const })),
  ];
  // The parser reports an over-indented key twice at the same place (BLOCK_AS_IMPLICIT_KEY, then
  // MULTILINE_IMPLICIT_KEY); the first says all there is to say.
  const overIndented = new Set(
    doc.errors.filter((e) => e.code === 'BLOCK_AS_IMPLICIT_KEY').map((e) => e.pos[0]),
  );
  for (const { e, severity } of yamlProblems) {
    if (e.code === 'MULTILINE_IMPLICIT_KEY' && overIndented.has(e.pos[0])) continue;
    const { message, hint, at } = yamlProblem(e, doc, lineCounter, text);
    const { line, col } = lineCounter.linePos(at ?? e.pos[0]);
    r.diagnostics.push({
      code: e.code === 'DUPLICATE_KEY' ? 'DuplicateKey' : 'YamlSyntax',
      severity,
      path: '',
      message: `YAML: ${message}`,
      ...(hint ? { hint } : {}),
      file: opts.file,
      line,
      col,
    });
  }
  if (doc.errors.length > 0) return { diagnostics: sortDiagnostics(r.diagnostics), origins: {} };
  if (!checkHostCount(doc, r)) return { diagnostics: sortDiagnostics(r.diagnostics), origins: {} };
  // Before the text becomes objects: a `__proto__` key would become a prototype there.
  const forbidden = forbiddenKeys(doc);
  for (const f of forbidden)
    r.diagnostics.push({
      code: 'ForbiddenKey',
      severity: 'error',
      path: [...f.parents, f.key].join('.'),
      message: forbiddenKeyMessage(f.key),
      hint: 'remove the key (or rename it)',
      file: opts.file,
      ...lineCounter.linePos(f.offset),
    });
  if (forbidden.length > 0) return { diagnostics: sortDiagnostics(r.diagnostics), origins: {} };

  let raw: unknown;
  try {
    // maxAliasCount bounds alias expansion ("billion laughs"); an unknown alias throws too.
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    const alias = firstBadAlias(doc);
    const { line, col } = alias === undefined ? { line: 1, col: 1 } : lineCounter.linePos(alias);
    const message = (e as Error).message.split('\n')[0];
    r.diagnostics.push({
      code: 'YamlAlias',
      severity: 'error',
      path: '',
      message: `YAML: ${message}`,
      file: opts.file,
      line,
      col,
    });
    return { diagnostics: r.diagnostics, origins: {} };
  }
  const data = raw ?? {};
  // An empty document reads as null, or as an empty null scalar once a `---` marker is there;
  // a `null` written out is not empty.
  const empty =
    doc.contents === null ||
    (isScalar(doc.contents) && doc.contents.value === null && doc.contents.source === '');
  if (typeof data !== 'object' || Array.isArray(data) || !(isMap(doc.contents) || empty)) {
    const got = raw === null ? 'null' : Array.isArray(data) ? 'a list' : typeof data;
    r.error('NotAMap', [], `the cluster file must be a map of options, such as network: (got ${got})`);
    return { diagnostics: r.diagnostics, origins: {} };
  }

  checkTopLevel(data, r);
  const parsed = topLevelSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    for (const issue of convertIssues(parsed.error.issues, topLevelSchema, [])) {
      r.report('error', issue.code, issue.path, issue.message, issue.hint, { atKey: issue.atKey });
    }
  }

  const res = new Resolver(data, r);
  const hosts = resolveHosts(res);
  const network = resolveNetwork(res, r, hosts, opts.baseDir);
  const config: ClusterConfig = {
    file: opts.file,
    baseDir: opts.baseDir,
    hosts,
    network,
    raw: data as RawCluster as Record<string, unknown>,
  };
  checkRules(config, { r, res, probe: opts.probe, raw: data });

  const diagnostics = sortDiagnostics(r.diagnostics);
  return hasErrors(diagnostics)
    ? { diagnostics, origins: res.origins }
    : { config, diagnostics, origins: res.origins, ...(empty ? { empty: true as const } : {}) };
}
export type { FileKind, FileProbe } from './reporter.ts';
