/**
 * firewalld rules for a cluster's hosts, from `network.firewalld` and the provider: a service
 * per host role (the operator's open ports), an ipset of the cluster's own sources, and an
 * install script of `firewall-cmd` commands. Pure: config in, file contents out.
 *
 * What differs from Pharos: Pharos put every host address into the ipset and made the ipset a
 * source of the `trusted` zone, so every host was trusted on every port. netpack does that only
 * when every node address lies inside `firewalld.trusted_subnets`; otherwise the trusted zone
 * gets only the pod and service networks and the trusted subnets, and the nodes accept from the
 * ipset exactly what the provider needs (rich rules), see `providerNeeds`.
 */
import { type Cidr, parseCidr, parseIp } from '../config/cidr.ts';
import type { Diagnostic } from '../config/diagnostics.ts';
import type { ClusterConfig, FirewallPort, Host } from '../config/types.ts';
import { type NodeNeed, providerNeeds } from './needs.ts';
import { ipsetXml, serviceXml } from './xml.ts';

export { type NodeNeed, providerNeeds, weaveEncrypts } from './needs.ts';
export { ipsetXml, serviceXml, xmlEscape } from './xml.ts';

export type Role = 'master' | 'worker';
export const ROLES: readonly Role[] = ['master', 'worker'];
/** Name of the ipset, and prefix of the services (`netpack-master`, `netpack-worker`). */
export const IPSET_NAME = 'netpack';
export const serviceName = (role: Role): string => `netpack-${role}`;

export interface FirewallFile {
  /** Path relative to the output directory, e.g. `services/netpack-master.xml`. */
  path: string;
  content: string;
  /** File mode for --out-dir (install.sh is executable). */
  mode: number;
}

export interface FirewallOptions {
  /** Only the files for this host: its address, private address, `name` or `hostname`. */
  host?: string;
}

export interface FirewallPlan {
  files: FirewallFile[];
  diagnostics: Diagnostic[];
  /** True when the ipset is a source of the trusted zone (every node inside a trusted subnet). */
  trustAll: boolean;
  /** Rich rules (the provider's needs from the ipset), empty when `trustAll`. */
  richRules: string[];
}

/** Finds the host `name` refers to, by address, private address, or Pharos' `name`/`hostname`. */
export function findHost(config: ClusterConfig, name: string): { host: Host; index: number } | undefined {
  const rawHosts = Array.isArray(config.raw.hosts) ? (config.raw.hosts as Record<string, unknown>[]) : [];
  const index = config.hosts.findIndex(
    (h, i) =>
      h.address === name ||
      h.private_address === name ||
      rawHosts[i]?.name === name ||
      rawHosts[i]?.hostname === name,
  );
  const host = config.hosts[index];
  return host ? { host, index } : undefined;
}

/** Ports of `open_ports` for `role`, without repeats, in the order written. */
export function portsFor(openPorts: readonly FirewallPort[], role: Role): FirewallPort[] {
  const seen = new Set<string>();
  return openPorts.filter((p) => {
    if (!(p.roles.includes('*') || p.roles.includes(role))) return false;
    const key = `${p.port}/${p.protocol}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

interface Entry {
  cidr: Cidr;
  text: string;
  node: boolean;
}

/**
 * The ipset's entries: node addresses (hosts and Weave's known peers), the pod and service
 * networks and the trusted subnets. firewalld refuses overlapping entries in a hash:net set, so
 * an entry inside another one is dropped (a host inside a trusted subnet, say). IPv4 only: a
 * hash:net set has one family, and netpack's networks are IPv4.
 */
function ipsetEntries(config: ClusterConfig, diagnostics: Diagnostic[]): Entry[] {
  const net = config.network;
  const candidates: { text: string; node: boolean; path: string }[] = [];
  config.hosts.forEach((h, i) => {
    for (const key of ['address', 'private_address'] as const) {
      const value = h[key];
      if (value === undefined) continue;
      const path = `hosts[${i}].${key}`;
      if (!parseIp(value, { allowV6: true }).ok) {
        diagnostics.push({
          code: 'HostnameInIpset',
          severity: 'warning',
          path,
          file: config.file,
          message: `${value} is a host name, which a firewalld ipset cannot hold; traffic from it is not accepted by these rules`,
          hint: 'give the host an IP address (address or private_address)',
        });
        continue;
      }
      candidates.push({ text: value, node: true, path });
    }
  });
  if (net.provider === 'weave')
    net.weave.known_peers.forEach((p, i) => {
      candidates.push({ text: p, node: true, path: `network.weave.known_peers[${i}]` });
    });
  candidates.push({ text: net.pod_network_cidr, node: false, path: 'network.pod_network_cidr' });
  candidates.push({ text: net.service_cidr, node: false, path: 'network.service_cidr' });
  net.firewalld.trusted_subnets.forEach((s, i) => {
    candidates.push({ text: s, node: false, path: `network.firewalld.trusted_subnets[${i}]` });
  });

  const parsed: Entry[] = [];
  for (const c of candidates) {
    const text = c.text.includes('/') ? c.text : `${c.text}/${c.text.includes(':') ? 128 : 32}`;
    const cidr = parseCidr(text, { allowV6: true });
    if (!cidr.ok) continue; // the loader rejected it already
    if (cidr.value.family !== 4) {
      diagnostics.push({
        code: 'Ipv6InIpset',
        severity: 'warning',
        path: c.path,
        file: config.file,
        message: `${c.text} is IPv6; the ${IPSET_NAME} ipset holds IPv4 only, so it is left out`,
      });
      continue;
    }
    parsed.push({ cidr: cidr.value, text: c.text, node: c.node });
  }
  return withoutNested(parsed);
}

/**
 * The entries not inside another one, in their original order; of equal entries the first.
 * CIDRs are either nested or disjoint, so after sorting by start (wider first on a tie, then by
 * position) an entry lies inside an earlier kept one exactly when its end is not beyond the
 * furthest end seen so far: one sort and one sweep, O(n log n), where comparing every pair was
 * O(n²) (2.3 s at 5,000 hosts).
 */
function withoutNested(entries: readonly Entry[]): Entry[] {
  const order = entries
    .map((_, i) => i)
    .sort((i, j) => {
      const a = entries[i]!.cidr;
      const b = entries[j]!.cidr;
      if (a.start !== b.start) return a.start < b.start ? -1 : 1;
      if (a.end !== b.end) return a.end > b.end ? -1 : 1;
      return i - j;
    });
  const keep = new Array<boolean>(entries.length).fill(false);
  let furthest = -1n;
  for (const i of order) {
    const { end } = entries[i]!.cidr;
    if (end > furthest) {
      keep[i] = true;
      furthest = end;
    }
  }
  return entries.filter((_, i) => keep[i]);
}

/** A rich rule accepting one need from the ipset, in firewalld's rich-language syntax. */
export function richRule(need: NodeNeed): string {
  const what =
    need.kind === 'port'
      ? `port port="${need.port}" protocol="${need.protocol}"`
      : `protocol value="${need.value}"`;
  return `rule family="ipv4" source ipset="${IPSET_NAME}" ${what} accept`;
}

/** `sh` single-quoted word (rich rules hold double quotes). */
const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * install.sh. Re-runnable: it first removes what netpack added before — by name (the
 * `netpack-<role>` services, the `ipset:netpack` source, rich rules from ipset `netpack`) and, for
 * the trusted zone's plain CIDR sources, by the list an earlier run left in
 * `$DIR/netpack.installed` — then adds the current set, noting what it added (never what was
 * there already, so an operator's own source of the same CIDR survives a later change).
 */
function installScript(
  config: ClusterConfig,
  role: Role | undefined,
  plan: { trustAll: boolean; richRules: string[] },
): string {
  const net = config.network;
  const trustedSources = plan.trustAll
    ? [`ipset:${IPSET_NAME}`]
    : [net.pod_network_cidr, net.service_cidr, ...net.firewalld.trusted_subnets];
  const services = ROLES.map(serviceName);
  const lines = [
    '#!/bin/sh',
    `# firewalld rules for the ${net.provider} pod network, generated by netpack from ${config.file}.`,
    role
      ? `# Run as root on the ${role} host from the directory this script is in: sh install.sh`
      : '# Run as root on each host from the directory this script is in: sh install.sh master|worker',
    '# Writes permanent configuration and reloads firewalld. FIREWALLD_DIR overrides /etc/firewalld.',
    '# Safe to run again, also after a config change: what an earlier run added is removed first.',
    'set -eu',
    'cd "$(dirname "$0")"',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
    role ? `ROLE=${role}` : 'ROLE="${1:-}"',
    'case "$ROLE" in',
    '  master | worker) ;;',
    '  *) echo "usage: $0 master|worker" >&2; exit 2 ;;',
    'esac',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
    'DIR="${FIREWALLD_DIR:-/etc/firewalld}"',
    '# What this script added, one "KIND VALUE" per line, for the next run to remove.',
    'STATE="$DIR/netpack.installed"',
    'if ! firewall-cmd --state >/dev/null 2>&1; then',
    '  echo "firewalld is not running: systemctl enable --now firewalld" >&2',
    '  exit 1',
    'fi',
    'install -D -m 0644 "services/netpack-$ROLE.xml" "$DIR/services/netpack-$ROLE.xml"',
    `install -D -m 0644 ipsets/${IPSET_NAME}.xml "$DIR/ipsets/${IPSET_NAME}.xml"`,
    '# firewalld reads new service and ipset files only when it reloads.',
    'firewall-cmd --reload',
    '',
    '# The permanent services and rich rules of the default zone and the sources of the trusted zone.',
    'SERVICES= SOURCES= RICH=',
    'read_config() {',
    "  SERVICES=$(firewall-cmd --permanent --list-services | tr ' ' '\\n')",
    "  SOURCES=$(firewall-cmd --permanent --zone=trusted --list-sources | tr ' ' '\\n')",
    '  RICH=$(firewall-cmd --permanent --list-rich-rules)',
    '}',
    'has() { printf \'%s\\n\' "$1" | grep -Fxq -e "$2"; }',
    '# ours KIND VALUE: netpack added it (its names, or listed by an earlier run).',
    'ours() {',
    '  case "$1 $2" in',
    `    ${services.map((n) => `'service ${n}'`).join(' | ')} | 'source ipset:${IPSET_NAME}') return 0 ;;`,
    `    'rich-rule '*'source ipset="${IPSET_NAME}" '*) return 0 ;;`,
    '  esac',
    '  [ -f "$STATE" ] && grep -Fxq -e "$1 $2" "$STATE"',
    '}',
    'remove() {',
    '  case "$1" in',
    '    service) firewall-cmd --permanent --remove-service="$2" ;;',
    '    source) firewall-cmd --permanent --zone=trusted --remove-source="$2" ;;',
    '    rich-rule) firewall-cmd --permanent --remove-rich-rule="$2" ;;',
    '  esac',
    '}',
    '# add KIND VALUE: adds VALUE unless it is there already, and notes it for the next run.',
    'add() {',
    '  case "$1" in',
    '    service) list=$SERVICES ;;',
    '    source) list=$SOURCES ;;',
    '    *) list=$RICH ;;',
    '  esac',
    '  if has "$list" "$2"; then return 0; fi',
    '  case "$1" in',
    '    service) firewall-cmd --permanent --add-service="$2" ;;',
    '    source) firewall-cmd --permanent --zone=trusted --add-source="$2" ;;',
    '    rich-rule) firewall-cmd --permanent --add-rich-rule="$2" ;;',
    '  esac',
    '  echo "$1 $2" >>"$STATE.new"',
    '}',
    '',
    "# Remove netpack's rules of an earlier run, so that nothing of a previous config stays behind.",
    'read_config',
    'for s in $SERVICES; do',
    '  if ours service "$s"; then remove service "$s"; fi',
    'done',
    'for s in $SOURCES; do',
    '  if ours source "$s"; then remove source "$s"; fi',
    'done',
    'printf \'%s\\n\' "$RICH" | while IFS= read -r r; do',
    '  if [ -n "$r" ] && ours rich-rule "$r"; then remove rich-rule "$r"; fi',
    'done',
    'for r in master worker; do',
    '  if [ "$r" != "$ROLE" ]; then rm -f "$DIR/services/netpack-$r.xml"; fi',
    'done',
    '',
    'read_config',
    ': >"$STATE.new"',
    "# The operator's open ports for this role, in the default zone.",
    'add service "netpack-$ROLE"',
    plan.trustAll
      ? '# Every node is inside a trusted subnet: trust the whole ipset (as Pharos did).'
      : '# Trust the pod and service networks and the trusted subnets; nodes outside them get only what the provider needs.',
    ...trustedSources.map((s) => `add source ${s}`),
    ...plan.richRules.map((r) => `add rich-rule ${shQuote(r)}`),
    'mv "$STATE.new" "$STATE"',
    'firewall-cmd --reload',
  ];
  return `${lines.join('\n')}\n`;
}

/** Every file of the firewalld setup for `config` (for one host with `opts.host`). */
export function planFirewall(config: ClusterConfig, opts: FirewallOptions = {}): FirewallPlan {
  const net = config.network;
  const diagnostics: Diagnostic[] = [];
  let role: Role | undefined;
  if (opts.host !== undefined) {
    const found = findHost(config, opts.host);
    if (!found) {
      diagnostics.push({
        code: 'UnknownHost',
        severity: 'error',
        path: 'hosts',
        file: config.file,
        message: `no host "${opts.host}"`,
        hint: `name one by address, private_address, name or hostname: ${config.hosts.map((h) => h.address).join(', ') || 'the file lists no hosts'}`,
      });
      return { files: [], diagnostics, trustAll: false, richRules: [] };
    }
    role = found.host.role;
  }
  if (!net.firewalld.enabled)
    diagnostics.push({
      code: 'FirewalldDisabled',
      severity: 'warning',
      path: 'network.firewalld.enabled',
      file: config.file,
      message: 'is false: these rules are generated for review, Pharos would not install them',
      hint: 'set network.firewalld.enabled: true',
    });
  if (net.provider === 'custom')
    diagnostics.push({
      code: 'CustomProviderPorts',
      severity: 'warning',
      path: 'network.provider',
      file: config.file,
      message: 'netpack cannot tell which ports a custom provider needs between nodes',
      hint: 'list them in network.firewalld.open_ports, or put the nodes in firewalld.trusted_subnets',
    });

  const entries = ipsetEntries(config, diagnostics);
  const trustAll = config.hosts.length > 0 && !entries.some((e) => e.node);
  const richRules = trustAll ? [] : providerNeeds(config).map(richRule);

  const files: FirewallFile[] = [];
  for (const r of role ? [role] : ROLES) {
    files.push({
      path: `services/${serviceName(r)}.xml`,
      mode: 0o644,
      content: serviceXml({
        short: serviceName(r),
        description: `netpack: ports open on ${r} hosts (network.firewalld.open_ports)`,
        ports: portsFor(net.firewalld.open_ports, r).map(({ port, protocol }) => ({ port, protocol })),
      }),
    });
  }
  files.push({
    path: `ipsets/${IPSET_NAME}.xml`,
    mode: 0o644,
    content: ipsetXml({
      short: IPSET_NAME,
      description: 'netpack: cluster hosts, pod and service networks, trusted subnets',
      type: 'hash:net',
      entries: entries.map((e) => e.text),
    }),
  });
  files.push({
    path: 'install.sh',
    mode: 0o755,
    content: installScript(config, role, { trustAll, richRules }),
  });
  return { files, diagnostics, trustAll, richRules };
}
