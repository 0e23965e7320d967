/**
 * Checks across options: overlapping ranges, files that must exist, combinations that cannot
 * work. Each rule reports at the place the operator wrote the value (aliases included) and
 * skips values that already failed the schema, so one mistake gives one diagnostic.
 */

import { CALICO_POOL_ENV, IPPOOL_NAME } from '../providers/calico/constants.ts';
import { checkAutodetectionMethod } from './autodetect.ts';
import { type Cidr, contains, containsAddress, overlaps, parseCidr, parseIp } from './cidr.ts';
import {
  DEFAULT_PEERING_IMAGE,
  hostRegions,
  NODE_LOCAL_DNS_IP,
  TYPHA_MAX_REPLICAS,
  TYPHA_NODES_PER_REPLICA,
} from './defaults.ts';
import { encapsulationOverhead, workloadMtu } from './derived.ts';
import type { PathSegment } from './positions.ts';
import { type FileProbe, type Reporter, resolvePath } from './reporter.ts';
import type { Resolver } from './resolve.ts';
import { networkSchema } from './schema.ts';
import { closest } from './suggest.ts';
import type { ClusterConfig } from './types.ts';

export interface RuleContext {
  r: Reporter;
  res: Resolver;
  probe: FileProbe;
  /** The raw parsed file. */
  raw: unknown;
}

/** Where to point for a canonical option: where the operator wrote it, else its canonical path. */
function at(ctx: RuleContext, canonical: string): PathSegment[] {
  return ctx.res.sources[canonical] ?? canonical.split('.');
}

function written(ctx: RuleContext, canonical: string): boolean {
  return ctx.res.sources[canonical] !== undefined;
}

function cidrOf(ctx: RuleContext, canonical: string, text: string | undefined): Cidr | undefined {
  if (typeof text !== 'string' || ctx.r.isBad(at(ctx, canonical))) return undefined;
  const parsed = parseCidr(text, { allowV6: true });
  return parsed.ok ? parsed.value : undefined;
}

function checkRanges(config: ClusterConfig, ctx: RuleContext): void {
  const { r } = ctx;
  const net = config.network;
  const pod = cidrOf(ctx, 'network.pod_network_cidr', net.pod_network_cidr);
  const service = cidrOf(ctx, 'network.service_cidr', net.service_cidr);

  if (pod && service && overlaps(pod, service)) {
    const where = written(ctx, 'network.pod_network_cidr')
      ? 'network.pod_network_cidr'
      : 'network.service_cidr';
    r.error(
      'CidrOverlap',
      at(ctx, where),
      `pod network ${pod.text} overlaps the service network ${service.text}`,
      'choose ranges that do not overlap, e.g. pod_network_cidr 10.32.0.0/12 and service_cidr 10.96.0.0/12',
    );
  }
  if (service && service.family === 4 && service.prefix < 12) {
    r.error(
      'ServiceCidrTooLarge',
      at(ctx, 'network.service_cidr'),
      `${service.text} is larger than /12, the largest service range kube-apiserver accepts`,
      'use a /12 or smaller range such as 10.96.0.0/12',
    );
  }
  if (service && service.family === 6 && service.prefix < 108) {
    r.error(
      'ServiceCidrTooLarge',
      at(ctx, 'network.service_cidr'),
      `${service.text} is larger than /108, the largest IPv6 service range kube-apiserver accepts`,
    );
  }
  if (pod && pod.family === 4 && pod.prefix > 24) {
    r.error(
      'PodCidrTooSmall',
      at(ctx, 'network.pod_network_cidr'),
      `${pod.text} is smaller than one node's /24 pod range`,
      'use a /24 or larger range (a /16 fits 256 nodes)',
    );
  }

  config.hosts.forEach((host, i) => {
    for (const key of ['address', 'private_address'] as const) {
      const value = host[key];
      if (!value || r.isBad(['hosts', i, key])) continue;
      const ip = parseIp(value, { allowV6: true });
      if (!ip.ok) continue; // a host name: cannot be checked for overlap
      for (const [name, range] of [
        ['pod network', pod],
        ['service network', service],
      ] as const) {
        if (range && containsAddress(range, ip.value.family, ip.value.value)) {
          r.error(
            'AddressInRange',
            ['hosts', i, key],
            `${value} lies inside the ${name} ${range.text}`,
            `move the ${name === 'pod network' ? 'pod_network_cidr' : 'service_cidr'} to a range the hosts do not use`,
          );
        }
      }
    }
  });

  net.weave.trusted_subnets.forEach((subnet, i) => {
    const path = [...at(ctx, 'network.weave.trusted_subnets'), i];
    if (!written(ctx, 'network.weave.trusted_subnets')) return;
    const trusted = cidrOf(ctx, 'network.weave.trusted_subnets', subnet);
    if (!trusted || r.isBad(path)) return;
    for (const [name, range] of [
      ['pod network', pod],
      ['service network', service],
    ] as const) {
      if (range && overlaps(trusted, range)) {
        r.error(
          'CidrOverlap',
          path,
          `${trusted.text} overlaps the ${name} ${range.text}: trusted subnets name the hosts' own networks, not the overlay`,
          "list only the subnets of the hosts' private addresses",
        );
      }
    }
  });

  const ipalloc = cidrOf(ctx, 'network.weave.ipalloc_default_subnet', net.weave.ipalloc_default_subnet);
  if (ipalloc && pod && !contains(pod, ipalloc)) {
    r.error(
      'SubnetOutsidePodCidr',
      at(ctx, 'network.weave.ipalloc_default_subnet'),
      `${ipalloc.text} is not inside pod_network_cidr ${pod.text}`,
      'choose a subnet of the pod network',
    );
  }
  net.weave.remote_subnets.forEach((subnet, i) => {
    const remote = cidrOf(ctx, 'network.weave.remote_subnets', subnet);
    const path = [...at(ctx, 'network.weave.remote_subnets'), i];
    if (remote && pod && !contains(pod, remote))
      r.error(
        'SubnetOutsidePodCidr',
        path,
        `${remote.text} is not inside pod_network_cidr ${pod.text}`,
        "every cluster's subnet must lie in the shared pod network",
      );
    if (remote && ipalloc && overlaps(remote, ipalloc))
      r.error(
        'CidrOverlap',
        path,
        `${remote.text} overlaps this cluster's ipalloc_default_subnet ${ipalloc.text}`,
      );
  });
}

function checkFile(
  ctx: RuleContext,
  path: PathSegment[],
  what: string,
  baseDir: string,
  allowDirectory = false,
): void {
  const value = ctx.res.get(path);
  if (typeof value !== 'string') return;
  const absolute = resolvePath(baseDir, value);
  const kind = ctx.probe.kind(absolute);
  const shown = value === absolute ? value : `${value} (${absolute})`;
  if (kind === 'missing')
    ctx.r.error(
      'FileNotFound',
      path,
      `${what} ${shown} does not exist`,
      'paths are relative to the directory of the cluster file',
    );
  else if (kind === 'empty') ctx.r.error('FileEmpty', path, `${what} ${shown} is empty`);
  else if (kind === 'unreadable') ctx.r.error('FileUnreadable', path, `${what} ${shown} cannot be read`);
  else if (kind === 'special')
    ctx.r.error(
      'FileNotRegular',
      path,
      `${what} ${shown} is not a regular file (a FIFO, a device or a socket)`,
      'give a path to a regular file',
    );
  else if (kind === 'directory' && !allowDirectory)
    ctx.r.error('FileIsDirectory', path, `${what} ${shown} is a directory, expected a file`);
}

const NETWORK_KEYS = Object.keys(networkSchema.shape);

/** Whether `network:` has an unknown key that reads as a misspelling of `provider` (`provder:`). */
function providerKeyMisspelt(ctx: RuleContext): boolean {
  const network = (ctx.raw as { network?: unknown } | null)?.network;
  if (!network || typeof network !== 'object' || Array.isArray(network)) return false;
  return Object.keys(network).some(
    (key) => !NETWORK_KEYS.includes(key) && closest(key, NETWORK_KEYS) === 'provider',
  );
}

function checkProviderBlocks(config: ClusterConfig, ctx: RuleContext): void {
  const { r } = ctx;
  const provider = config.network.provider;
  // With a misspelt provider, or a misspelt `provider:` key, we cannot tell which block is
  // meant to be ignored.
  const providerKnown = !r.isBad(['network', 'provider']) && !providerKeyMisspelt(ctx);
  for (const block of providerKnown ? (['weave', 'calico', 'custom'] as const) : []) {
    if (block === provider || ctx.res.get(['network', block]) === undefined) continue;
    r.warning(
      'IgnoredOption',
      ['network', block],
      `is ignored: the provider is ${provider}`,
      `remove it, or set network.provider: ${block}`,
      {
        atKey: true,
      },
    );
  }
  if (provider === 'custom' && !config.network.custom && !r.isBad(['network', 'custom', 'manifest_path'])) {
    r.error(
      'MissingOption',
      written(ctx, 'network.provider') ? at(ctx, 'network.provider') : ['network', 'custom'],
      'provider custom needs network.custom.manifest_path',
      'add network.custom.manifest_path: a manifest file or a directory of manifests',
    );
  }
}

function checkFiles(config: ClusterConfig, ctx: RuleContext): void {
  const base = config.baseDir;
  const provider = config.network.provider;
  if (provider === 'weave') checkFile(ctx, ['network', 'weave', 'password'], 'password file', base);
  if (provider === 'custom')
    checkFile(ctx, ['network', 'custom', 'manifest_path'], 'manifest path', base, true);
  if (provider === 'calico' && config.network.calico.datastore === 'etcd') {
    for (const key of ['ca_file', 'cert_file', 'key_file'])
      checkFile(ctx, ['network', 'calico', 'etcd', key], `etcd ${key.replace('_file', '')} file`, base);
  }
}

function checkCalico(config: ClusterConfig, ctx: RuleContext): void {
  const { r } = ctx;
  const calico = config.network.calico;
  if (config.network.provider !== 'calico') return;
  const C = ['network', 'calico'];

  if (config.network.cloud === 'azure' && calico.encapsulation === 'ipip' && calico.mode !== 'Never') {
    r.error(
      'AzureNoIpip',
      at(ctx, 'network.calico.encapsulation'),
      'Azure does not carry IP-in-IP packets, so pods on different nodes could not reach each other',
      'use VXLAN: network.calico.encapsulation: vxlan',
    );
  }

  // Azure routes only the addresses it assigned: pod traffic between nodes must be encapsulated
  // (VXLAN) unless user-defined routes carry the pod ranges, which netpack does not make.
  const unencapsulatedSomewhere =
    calico.mode === 'Never' || (calico.encapsulation === 'vxlan' && calico.mode === 'CrossSubnet');
  if (config.network.cloud === 'azure' && unencapsulatedSomewhere) {
    r.error(
      'AzureUnencapsulated',
      at(ctx, 'network.calico.mode'),
      `Azure drops pod traffic that is not encapsulated (mode ${calico.mode} sends it unencapsulated${calico.mode === 'CrossSubnet' ? ' within a subnet' : ''}) unless user-defined routes carry every node's pod range`,
      'use network.calico.encapsulation: vxlan with mode: Always',
    );
  }

  // Calico's MTU guide: the workload (veth) MTU is the host MTU less the encapsulation overhead;
  // 576 is the smallest datagram every IPv4 host must accept (RFC 791). Checked here, with the
  // position, so that validate, explain and render agree (render trusts a loaded config).
  const workload = workloadMtu(calico);
  if (workload !== undefined && workload < 576 && !r.isBad(at(ctx, 'network.calico.mtu'))) {
    r.error(
      'MtuTooSmall',
      at(ctx, 'network.calico.mtu'),
      `host MTU ${calico.mtu} leaves workloads ${workload} bytes after ${encapsulationOverhead(calico)} bytes of ${calico.encapsulation} overhead; need at least 576`,
      "give the host network's MTU, or 'auto'",
    );
  }

  checkCalicoEnvironment(config, ctx);

  if (calico.datastore === 'etcd' && !calico.etcd && !r.isBad([...C, 'etcd'])) {
    r.error(
      'MissingOption',
      at(ctx, 'network.calico.datastore'),
      'datastore etcd needs network.calico.etcd.endpoints',
      'add etcd: {endpoints: [https://ETCD:2379]}',
    );
  }
  if (calico.datastore === 'kubernetes' && calico.etcd) {
    r.warning(
      'IgnoredOption',
      [...C, 'etcd'],
      'is ignored: the datastore is kubernetes',
      'set network.calico.datastore: etcd to use it',
      { atKey: true },
    );
  }
  const etcd = ctx.res.get([...C, 'etcd']) === undefined ? undefined : ctx.res.values.network?.calico?.etcd;
  if (etcd && calico.datastore === 'etcd') {
    const hasCert = etcd.cert_file !== undefined;
    const hasKey = etcd.key_file !== undefined;
    if (hasCert !== hasKey) {
      r.error(
        'IncompleteTls',
        [...C, 'etcd', hasCert ? 'cert_file' : 'key_file'],
        `needs ${hasCert ? 'key_file' : 'cert_file'} too`,
        'a client certificate and its key go together',
      );
    }
    const plain = (etcd.endpoints ?? []).findIndex((e) => typeof e === 'string' && e.startsWith('http://'));
    if (plain >= 0 && (hasCert || etcd.ca_file !== undefined)) {
      r.warning(
        'EtcdPlainHttp',
        [...C, 'etcd', 'endpoints', plain],
        'uses http://, so the TLS files are not used for it',
        'use https:// endpoints with TLS',
      );
    }
  }

  checkTypha(config, ctx);

  const env = calico.environment;
  const E = [...C, 'environment'];
  for (const name of Object.keys(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      r.report(
        'error',
        'InvalidEnvName',
        [...E, name],
        `"${name}" is not a valid environment variable name`,
        'use letters, digits and underscores',
        {
          atKey: true,
        },
      );
  }
  const metrics = env.FELIX_PROMETHEUSMETRICSENABLED;
  if (metrics !== undefined && !/^(true|false)$/i.test(metrics)) {
    r.error(
      'InvalidValue',
      [...E, 'FELIX_PROMETHEUSMETRICSENABLED'],
      `must be true or false (got "${metrics}")`,
    );
  }
  const port = env.FELIX_PROMETHEUSMETRICSPORT;
  if (port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    r.error(
      'InvalidPort',
      [...E, 'FELIX_PROMETHEUSMETRICSPORT'],
      `must be a port number 1..65535 (got "${port}")`,
    );
  }
}

/**
 * calico-node settings given through `environment` that contradict the pool: the backend that
 * routes it, and the address autodetection method's shape (also written as
 * ip_autodetection_method, where the schema checks it).
 */
function checkCalicoEnvironment(config: ClusterConfig, ctx: RuleContext): void {
  const { r } = ctx;
  const calico = config.network.calico;
  const E = ['network', 'calico', 'environment'];
  const backend = calico.environment.CALICO_NETWORKING_BACKEND;
  const needsBgp = calico.mode === 'Never' || calico.encapsulation === 'ipip';
  // calico-config's calico_backend takes these three (render trusts the value checked here).
  if (backend !== undefined && !['bird', 'vxlan', 'none'].includes(backend))
    r.error(
      'InvalidValue',
      [...E, 'CALICO_NETWORKING_BACKEND'],
      `must be one of bird, vxlan, none (got "${backend}")`,
    );
  if ((backend === 'vxlan' || backend === 'none') && needsBgp) {
    const pool =
      calico.mode === 'Never'
        ? 'an unencapsulated pool (mode Never)'
        : `an IP-in-IP pool (mode ${calico.mode})`;
    r.error(
      'BackendNeedsBgp',
      [...E, 'CALICO_NETWORKING_BACKEND'],
      `backend ${backend} runs no BGP (BIRD), but ${pool} is routed between nodes only by BGP: pods on different nodes could not reach each other`,
      backend === 'vxlan'
        ? 'remove CALICO_NETWORKING_BACKEND and set network.calico.encapsulation: vxlan (the backend follows)'
        : 'remove CALICO_NETWORKING_BACKEND (the backend follows network.calico.encapsulation)',
    );
  }
  // In the kubernetes datastore netpack renders the pool as an IPPool: calico-node reads these
  // only when it creates its first pool itself, so setting them misleads.
  if (calico.datastore === 'kubernetes')
    for (const name of CALICO_POOL_ENV)
      if (calico.environment[name] !== undefined)
        r.warning(
          'IgnoredOption',
          [...E, name],
          `only acts when calico-node creates its first pool; netpack manages IPPool ${IPPOOL_NAME} from network.calico and network.pod_network_cidr`,
          'use network.calico.encapsulation, mode, nat_outgoing and network.pod_network_cidr instead',
        );
  const method = calico.environment.IP_AUTODETECTION_METHOD;
  const path = [...E, 'IP_AUTODETECTION_METHOD'];
  if (method !== undefined && !r.isBad(path)) {
    const checked = checkAutodetectionMethod(method);
    if (!checked.ok)
      r.error('InvalidAutodetection', path, `must be a Calico IP autodetection method: ${checked.reason}`);
  }
}

/** network.calico.typha / typha_replicas: the datastore, and replica counts Calico advises against. */
function checkTypha(config: ClusterConfig, ctx: RuleContext): void {
  const { r } = ctx;
  const calico = config.network.calico;
  const typhaWritten = ctx.res.origins['network.calico.typha']?.from === 'file';
  if (calico.datastore === 'etcd' && calico.typha && typhaWritten) {
    r.error(
      'TyphaWithEtcd',
      at(ctx, 'network.calico.typha'),
      'Typha serves only the kubernetes datastore: with etcd, calico-node reads etcd directly, which copes with many clients',
      'remove network.calico.typha (or set it to false), or use datastore: kubernetes',
    );
    return;
  }
  const replicasWritten = ctx.res.origins['network.calico.typha_replicas']?.from === 'file';
  if (!replicasWritten) return;
  const where = at(ctx, 'network.calico.typha_replicas');
  if (!calico.typha) {
    const origin = ctx.res.origins['network.calico.typha'];
    const why = origin?.from === 'default' && origin.reason ? ` (${origin.reason})` : '';
    r.warning(
      'IgnoredOption',
      where,
      `is ignored: Typha is off${why}`,
      'set network.calico.typha: true to run it',
      {
        atKey: true,
      },
    );
    return;
  }
  const replicas = calico.typha_replicas;
  const hostCount = config.hosts.length;
  if (hostCount > 1 && replicas >= hostCount) {
    r.warning(
      'TooManyReplicas',
      where,
      `${replicas} Typha replicas for ${hostCount} hosts: with a replica on every node a rolling upgrade stalls, and Typha only relieves the API server when it runs on fewer nodes than Felix`,
      `use at most ${hostCount - 1}`,
    );
  } else if (replicas > TYPHA_MAX_REPLICAS) {
    r.warning(
      'TooManyReplicas',
      where,
      `${replicas} Typha replicas: Calico recommends no more than ${TYPHA_MAX_REPLICAS}`,
      `one replica per ${TYPHA_NODES_PER_REPLICA} nodes is enough; use at most ${TYPHA_MAX_REPLICAS}`,
    );
  }
}

function checkHosts(config: ClusterConfig, ctx: RuleContext): void {
  const { r } = ctx;
  const seen = new Map<string, number>();
  config.hosts.forEach((host, i) => {
    if (r.isBad(['hosts', i, 'address'])) return;
    const key = `${host.address}:${host.ssh_port}`;
    const first = seen.get(key);
    if (first !== undefined) {
      r.error(
        'DuplicateHost',
        ['hosts', i, 'address'],
        `${host.address} with ssh port ${host.ssh_port} is already hosts[${first}]`,
        'each address:ssh_port must be unique; give hosts behind one address different ssh_port values',
      );
    } else seen.set(key, i);
  });
  const hostCount = config.hosts.length;
  if (hostCount > 0 && written(ctx, 'network.dns_replicas') && config.network.dns_replicas > hostCount) {
    r.error(
      'TooManyReplicas',
      at(ctx, 'network.dns_replicas'),
      `${config.network.dns_replicas} replicas but only ${hostCount} host${hostCount === 1 ? '' : 's'}`,
      `use at most ${hostCount}`,
    );
  }
  checkDnsReplicas(config, ctx);
}

/**
 * network.dns_replicas is accepted (Pharos files set it, and Pharos scaled CoreDNS with it) but
 * netpack renders no CoreDNS: say so where it is written, once (not on top of an error there).
 */
function checkDnsReplicas(config: ClusterConfig, ctx: RuleContext): void {
  const where = at(ctx, 'network.dns_replicas');
  if (!written(ctx, 'network.dns_replicas') || ctx.r.isBad(where)) return;
  ctx.r.warning(
    'NoEffect',
    where,
    'has no effect: netpack does not deploy CoreDNS (Pharos scaled CoreDNS with this option)',
    `scale the coredns Deployment yourself (kubectl -n kube-system scale deployment coredns --replicas=${config.network.dns_replicas}), or remove the option`,
  );
}

/** Whether a Weave release's launch.sh reads IPTABLES_BACKEND (the fork's, from 2.9.0). */
export function weaveReadsIptablesBackend(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 9);
}

function checkWeave(config: ClusterConfig, ctx: RuleContext): void {
  if (config.network.provider !== 'weave') return;
  const peers = config.network.weave.known_peers;
  const seen = new Set<string>();
  peers.forEach((peer, i) => {
    const path = [...at(ctx, 'network.weave.known_peers'), i];
    if (ctx.r.isBad(path)) return;
    if (seen.has(peer)) ctx.r.warning('DuplicateEntry', path, `${peer} is listed twice`);
    seen.add(peer);
  });
  const weave = config.network.weave;
  if (weave.iptables_backend !== 'auto' && !weaveReadsIptablesBackend(weave.image_version))
    ctx.r.error(
      'UnsupportedByVersion',
      at(ctx, 'network.weave.iptables_backend'),
      `has no effect with weave.image_version ${weave.image_version}: only the fork's 2.9.0 reads IPTABLES_BACKEND (earlier images use iptables-legacy)`,
      'set network.weave.image_version: 2.9.0, or remove iptables_backend',
    );
  if (weave.peering.enabled && weave.peering.kubelet_dnat && weave.peering.image === DEFAULT_PEERING_IMAGE)
    ctx.r.error(
      'ImageLacksIptables',
      at(ctx, 'network.weave.peering.kubelet_dnat'),
      'needs iptables in the side-car, and the official node image the side-car runs on by default has none',
      "set network.weave.peering.image to an image built from netpack's Dockerfile (it adds iptables), or turn kubelet_dnat off",
    );
  // Hosts in several regions with the region-aware side-car turned off (it is on by default
  // then): Weave finds its peers itself, over addresses that may not route between regions.
  const regions = hostRegions(config.hosts);
  if (regions.length > 1 && !config.network.weave.peering.enabled)
    ctx.r.warning(
      'RegionsWithoutPeering',
      at(ctx, 'network.weave.peering.enabled'),
      `the hosts span regions ${regions.join(', ')}, but region-aware peering is off: Weave then peers over the addresses it finds, and private ones do not route between regions`,
      'set network.weave.peering.enabled: true (nodes in one region peer over private addresses, across regions over public ones)',
    );
}

function checkKubeProxy(config: ClusterConfig, ctx: RuleContext): void {
  const net = config.network;
  if (net.kube_proxy_mode === 'ipvs' && net.node_local_dns_cache.enabled) {
    ctx.r.warning(
      'DnsCacheLinkLocalOnly',
      at(ctx, 'network.kube_proxy_mode'),
      `with IPVS, node-local-dns cannot take over the cluster DNS service IP and binds only ${NODE_LOCAL_DNS_IP}`,
      `kubelet's clusterDNS must be ${NODE_LOCAL_DNS_IP} on every node`,
    );
  }
  if (net.kube_proxy_mode === 'nftables' && net.node_local_dns_cache.enabled) {
    ctx.r.warning(
      'DnsCacheLinkLocalOnly',
      at(ctx, 'network.kube_proxy_mode'),
      `with nftables, node-local-dns binds only ${NODE_LOCAL_DNS_IP}: node-cache takes over the cluster DNS service IP with iptables rules only (it has no nftables support), and a node that runs kube-proxy in nftables mode need not have iptables working`,
      `kubelet's clusterDNS must be ${NODE_LOCAL_DNS_IP} on every node`,
    );
  }
}

/** Spellings of older Pharos releases that still work, with what to write instead. */
function checkDeprecated(ctx: RuleContext): void {
  const { values } = ctx.res;
  if (values.network?.trusted_subnets != null)
    ctx.r.warning(
      'Deprecated',
      ['network', 'trusted_subnets'],
      'is deprecated (Pharos 1.x)',
      'move it to network.weave.trusted_subnets',
      { atKey: true },
    );
  if (values.kube_proxy?.mode === 'userspace')
    ctx.r.warning(
      'Deprecated',
      ['kube_proxy', 'mode'],
      'userspace mode was removed from kube-proxy (Kubernetes 1.26); netpack plans for iptables',
      'set kube_proxy.mode: iptables',
    );
}

export function checkRules(config: ClusterConfig, ctx: RuleContext): void {
  checkDeprecated(ctx);
  checkRanges(config, ctx);
  checkProviderBlocks(config, ctx);
  checkFiles(config, ctx);
  checkCalico(config, ctx);
  checkWeave(config, ctx);
  checkHosts(config, ctx);
  checkKubeProxy(config, ctx);
  checkFirewalld(config, ctx);
  checkMultiCluster(config, ctx);
}

/** `"22"` or `"30000-32767"` as numbers; undefined when the text is neither. */
export function parsePortRange(text: string): { start: number; end: number } | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const start = Number(m[1]);
  return { start, end: m[2] === undefined ? start : Number(m[2]) };
}

/** Ports between nodes that netpack opens to cluster nodes only (see src/firewall/needs.ts). */
function nodeOnlyPorts(config: ClusterConfig): { port: string; protocol: string; why: string }[] {
  const out = [{ port: '10250', protocol: 'tcp', why: 'the kubelet API' }];
  if (config.network.provider === 'weave')
    out.push(
      { port: '6783', protocol: 'tcp', why: 'Weave control' },
      { port: '6783-6784', protocol: 'udp', why: 'Weave data' },
    );
  if (config.network.provider === 'calico') out.push({ port: '179', protocol: 'tcp', why: 'Calico BGP' });
  if (config.network.provider === 'calico' && config.network.calico.typha)
    out.push({ port: '5473', protocol: 'tcp', why: 'Calico Typha' });
  return out;
}

/** network.firewalld: port ranges, roles, repeats, and ports that should stay between nodes. */
function checkFirewalld(config: ClusterConfig, ctx: RuleContext): void {
  const { r } = ctx;
  const fw = config.network.firewalld;
  fw.trusted_subnets.forEach((s, i) => {
    const path = [...at(ctx, 'network.firewalld.trusted_subnets'), i];
    const c = cidrOf(ctx, 'network.firewalld.trusted_subnets', s);
    if (c && !r.isBad(path) && c.prefix === 0)
      r.warning('TrustsEverything', path, `${s} trusts every address`, "list only the hosts' own subnets");
  });
  if (!written(ctx, 'network.firewalld.open_ports')) return;
  const base = at(ctx, 'network.firewalld.open_ports');
  const seen: { start: number; end: number; protocol: string; roles: string[]; index: number }[] = [];
  fw.open_ports.forEach((p, i) => {
    const portPath = [...base, i, 'port'];
    if (r.isBad([...base, i]) || r.isBad(portPath)) return;
    const range = parsePortRange(p.port);
    if (!range) {
      r.error(
        'InvalidPort',
        portPath,
        `must be a port like "22" or a range like "30000-32767" (got "${p.port}")`,
      );
      return;
    }
    if (range.start < 1 || range.start > 65535 || range.end > 65535) {
      r.error('InvalidPort', portPath, `${p.port} is outside 1..65535`, 'ports run from 1 to 65535');
      return;
    }
    if (range.start > range.end) {
      r.error(
        'InvalidPort',
        portPath,
        `range ${p.port} starts after it ends`,
        `write it as "${range.end}-${range.start}"`,
      );
      return;
    }
    const rolesPath = [...base, i, 'roles'];
    if (!r.isBad(rolesPath)) {
      if (p.roles.includes('*') && p.roles.length > 1)
        r.warning('DuplicateEntry', rolesPath, `"*" already means every role`, 'write roles: ["*"]');
      const dup = p.roles.find((role, k) => p.roles.indexOf(role) !== k);
      if (dup) r.warning('DuplicateEntry', rolesPath, `role "${dup}" is listed twice`);
    }
    const roles = p.roles.includes('*') ? ['master', 'worker'] : p.roles;
    const earlier = seen.find(
      (s) =>
        s.protocol === p.protocol &&
        s.start <= range.end &&
        range.start <= s.end &&
        s.roles.some((role) => roles.includes(role)),
    );
    if (earlier)
      r.warning(
        'PortOverlap',
        portPath,
        `${p.port}/${p.protocol} overlaps open_ports[${earlier.index}] for the same role`,
        'list each port once',
      );
    seen.push({ ...range, protocol: p.protocol, roles, index: i });
    for (const node of nodeOnlyPorts(config)) {
      const n = parsePortRange(node.port)!;
      if (node.protocol === p.protocol && n.start <= range.end && range.start <= n.end)
        r.warning(
          'NodeOnlyPortOpen',
          portPath,
          `${p.port}/${p.protocol} opens ${node.why} (${node.port}/${node.protocol}) to everyone`,
          'netpack already opens it to the cluster nodes; remove it from open_ports',
        );
    }
  });
}

/** One cluster's side of a multi-cluster Weave network (the set is checked by src/multicluster). */
function checkMultiCluster(config: ClusterConfig, ctx: RuleContext): void {
  const { r } = ctx;
  const weave = config.network.weave;
  if (config.network.provider !== 'weave') return;
  if (
    weave.known_peers.length > 0 &&
    weave.password === undefined &&
    !r.isBad(at(ctx, 'network.weave.known_peers'))
  )
    r.warning(
      'PeersWithoutPassword',
      at(ctx, 'network.weave.known_peers'),
      'peers of other clusters can join only with the same password, and without network.weave.password each cluster generates its own',
      'give every cluster the same password file',
    );
  if (weave.remote_subnets.length > 0 && weave.ipalloc_default_subnet === undefined)
    r.error(
      'MissingOption',
      at(ctx, 'network.weave.remote_subnets'),
      'needs network.weave.ipalloc_default_subnet: without it this cluster allocates pod IPs from the whole pod network, remote subnets included',
      "set ipalloc_default_subnet to this cluster's own part of pod_network_cidr",
    );
  const remotes = weave.remote_subnets.map((s) => cidrOf(ctx, 'network.weave.remote_subnets', s));
  remotes.forEach((a, i) => {
    const j = remotes.findIndex((b, k) => k < i && a && b && overlaps(a, b));
    if (a && j >= 0)
      r.warning(
        'CidrOverlap',
        [...at(ctx, 'network.weave.remote_subnets'), i],
        `${a.text} overlaps remote_subnets[${j}] ${remotes[j]!.text}`,
        'list each remote cluster subnet once',
      );
  });
}
