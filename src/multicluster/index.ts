/**
 * Several Weave clusters sharing one pod network (Pharos' multi-cluster docs): the same
 * `pod_network_cidr`, a distinct `weave.ipalloc_default_subnet` per cluster inside it, the same
 * password, and `known_peers` naming the other clusters' nodes. `checkClusterSet` checks such a
 * set and reports every violation at the file, line and column of the value at fault;
 * `remoteSubnets` lists what one cluster must route to the others. Pure: the caller reads files.
 */
import { nodeCrypto } from '../builtin.ts';
import { type Cidr, contains, overlaps, parseCidr, parseIp } from '../config/cidr.ts';
import type { Diagnostic, DiagnosticCode, Severity } from '../config/diagnostics.ts';
import { formatPath, type PathSegment, type Position } from '../config/positions.ts';
import type { ClusterConfig } from '../config/types.ts';
import { weavePasswordOf } from '../providers/weave/index.ts';

export { parsePath, writtenPaths } from './locate.ts';

/** One cluster of the set, with what is needed to point into its file. */
export interface ClusterMember {
  /** The file name as shown in diagnostics. */
  file: string;
  config: ClusterConfig;
  /** Position of the value at `path` in the file (or of the nearest key the file has). */
  locate(path: readonly PathSegment[]): Position;
  /** Where the operator wrote a canonical option (aliases included); undefined when defaulted. */
  written(canonical: string): PathSegment[] | undefined;
  /** SHA-256 digest of the password file (see `passwordDigest`); undefined without a password file. */
  passwordDigest?: string;
}

/**
 * Digest of a Weave password file as render reads it into Secret weave-passwd (surrounding
 * whitespace stripped, as Pharos did: `weavePasswordOf`). Only digests are compared, so the
 * secret itself never reaches a diagnostic.
 */
export function passwordDigest(contents: string): string {
  return nodeCrypto().createHash('sha256').update(weavePasswordOf(contents), 'utf8').digest('hex');
}

function cidr(text: string | undefined): Cidr | undefined {
  if (text === undefined) return undefined;
  const parsed = parseCidr(text, { allowV6: true });
  return parsed.ok ? parsed.value : undefined;
}

/** Every IP address of a cluster's hosts, public and private. */
export function hostAddresses(config: ClusterConfig): string[] {
  const out: string[] = [];
  for (const h of config.hosts)
    for (const a of [h.address, h.private_address])
      if (a !== undefined && parseIp(a, { allowV6: true }).ok && !out.includes(a)) out.push(a);
  return out;
}

class SetReporter {
  readonly diagnostics: Diagnostic[] = [];

  report(
    code: DiagnosticCode,
    severity: Severity,
    m: ClusterMember,
    path: PathSegment[],
    message: string,
    hint?: string,
  ): void {
    const pos = m.locate(path);
    this.diagnostics.push({
      code,
      severity,
      path: formatPath(path),
      message,
      file: m.file,
      ...pos,
      ...(hint ? { hint } : {}),
    });
  }

  /** Path of a canonical option as written in `m`, else the canonical path. */
  at(m: ClusterMember, canonical: string, ...rest: PathSegment[]): PathSegment[] {
    return [...(m.written(canonical) ?? canonical.split('.')), ...rest];
  }

  /** `b.yml:7:29`, for naming the other side of a conflict. */
  where(m: ClusterMember, canonical: string): string {
    const pos = m.locate(this.at(m, canonical));
    return `${m.file}:${pos.line}:${pos.col}`;
  }
}

/**
 * Checks a set of clusters meant to share one Weave pod network. The first file is the
 * reference for the shared values (pod network, password); each violation is reported in the
 * file that differs, at the value at fault.
 */
export function checkClusterSet(members: readonly ClusterMember[]): Diagnostic[] {
  const r = new SetReporter();
  const weaveMembers = members.filter((m) => {
    if (m.config.network.provider === 'weave') return true;
    r.report(
      'NotWeave',
      'error',
      m,
      r.at(m, 'network.provider'),
      `is ${m.config.network.provider}; a pod network shared between clusters needs Weave`,
      'set network.provider: weave in every cluster of the set',
    );
    return false;
  });
  const [ref] = weaveMembers;
  if (!ref) return r.diagnostics;
  const refPod = cidr(ref.config.network.pod_network_cidr);
  const refDigest = weaveMembers.find((m) => m.passwordDigest !== undefined);

  weaveMembers.forEach((m, k) => {
    const net = m.config.network;
    const pod = cidr(net.pod_network_cidr);
    const ipalloc = cidr(net.weave.ipalloc_default_subnet);

    // 1. One pod network for all.
    if (
      m !== ref &&
      pod &&
      refPod &&
      !(pod.start === refPod.start && pod.end === refPod.end && pod.family === refPod.family)
    )
      r.report(
        'PodCidrMismatch',
        'error',
        m,
        r.at(m, 'network.pod_network_cidr'),
        `${net.pod_network_cidr} differs from ${ref.file}'s pod_network_cidr ${ref.config.network.pod_network_cidr} (${r.where(ref, 'network.pod_network_cidr')})`,
        'every cluster of a shared pod network uses the same pod_network_cidr',
      );

    // 2. Each cluster its own allocation subnet inside it.
    if (!ipalloc)
      r.report(
        'MissingOption',
        'error',
        m,
        r.at(m, 'network.weave.ipalloc_default_subnet'),
        'a cluster of a shared pod network needs network.weave.ipalloc_default_subnet, else it allocates from the whole pod network and collides with the others',
        `give each cluster its own subnet of ${ref.config.network.pod_network_cidr}`,
      );
    else {
      const outer = refPod ?? pod;
      if (outer && !contains(outer, ipalloc))
        r.report(
          'SubnetOutsidePodCidr',
          'error',
          m,
          r.at(m, 'network.weave.ipalloc_default_subnet'),
          `${ipalloc.text} is outside the shared pod network ${outer.text}`,
          'choose a subnet of pod_network_cidr',
        );
      weaveMembers.slice(0, k).forEach((o) => {
        const other = cidr(o.config.network.weave.ipalloc_default_subnet);
        if (other && overlaps(other, ipalloc))
          r.report(
            'CidrOverlap',
            'error',
            m,
            r.at(m, 'network.weave.ipalloc_default_subnet'),
            `${ipalloc.text} overlaps ${o.file}'s ipalloc_default_subnet ${other.text} (${r.where(o, 'network.weave.ipalloc_default_subnet')})`,
            'each cluster needs a subnet of its own',
          );
      });
    }

    // 3. One password.
    if (m.passwordDigest === undefined)
      r.report(
        'MissingOption',
        'error',
        m,
        r.at(m, 'network.weave.password'),
        'a cluster of a shared pod network needs network.weave.password, else it generates a password of its own and the others cannot connect',
        'point every cluster at the same password file',
      );
    else if (refDigest && m !== refDigest && m.passwordDigest !== refDigest.passwordDigest)
      r.report(
        'PasswordMismatch',
        'error',
        m,
        r.at(m, 'network.weave.password'),
        `the password file differs from ${refDigest.file}'s (${r.where(refDigest, 'network.weave.password')}; their SHA-256 digests differ)`,
        'every cluster of a shared pod network uses the same password',
      );

    // 4. Known peers reach every other cluster.
    const peers = net.weave.known_peers;
    const allHosts = new Set(weaveMembers.flatMap((o) => hostAddresses(o.config)));
    for (const o of weaveMembers) {
      if (o === m) continue;
      const theirs = hostAddresses(o.config);
      if (theirs.length === 0) continue; // nothing to name
      if (!peers.some((p) => theirs.includes(p)))
        r.report(
          'PeerUnreachable',
          'error',
          m,
          r.at(m, 'network.weave.known_peers'),
          `names no host of ${o.file}, so Weave cannot reach that cluster`,
          `add one or more of its addresses: ${theirs.slice(0, 3).join(', ')}${theirs.length > 3 ? ', ...' : ''}`,
        );
    }
    peers.forEach((p, i) => {
      if (!allHosts.has(p))
        r.report(
          'UnknownPeer',
          'warning',
          m,
          r.at(m, 'network.weave.known_peers', i),
          `${p} is not a host of any cluster in the set`,
          'known_peers name the nodes of the other clusters',
        );
    });

    // 5. Service range clear of the other clusters' pods.
    const service = cidr(net.service_cidr);
    for (const o of weaveMembers) {
      if (o === m || !service) continue;
      const theirs =
        cidr(o.config.network.weave.ipalloc_default_subnet) ?? cidr(o.config.network.pod_network_cidr);
      if (theirs && overlaps(service, theirs))
        r.report(
          'CidrOverlap',
          'error',
          m,
          r.at(m, 'network.service_cidr'),
          `${service.text} overlaps ${o.file}'s pod subnet ${theirs.text}: pods there would be unreachable from this cluster`,
          'choose a service range outside the shared pod network',
        );
    }

    // 6. Routes to the other clusters, when listed by hand.
    if (m.written('network.weave.remote_subnets') !== undefined) {
      const remotes = net.weave.remote_subnets.map(cidr);
      for (const o of weaveMembers) {
        const theirs = cidr(o.config.network.weave.ipalloc_default_subnet);
        if (o === m || !theirs) continue;
        if (!remotes.some((c) => c && c.start === theirs.start && c.end === theirs.end))
          r.report(
            'MissingRoute',
            'warning',
            m,
            r.at(m, 'network.weave.remote_subnets'),
            `misses ${o.file}'s subnet ${theirs.text}, so pods here have no route to it`,
            `add ${theirs.text}`,
          );
      }
      remotes.forEach((c, i) => {
        if (!c) return;
        const known = weaveMembers.some((o) => {
          const theirs = cidr(o.config.network.weave.ipalloc_default_subnet);
          return o !== m && theirs && theirs.start === c.start && theirs.end === c.end;
        });
        if (!known)
          r.report(
            'UnknownRemoteSubnet',
            'warning',
            m,
            r.at(m, 'network.weave.remote_subnets', i),
            `${c.text} is no other cluster's ipalloc_default_subnet`,
          );
      });
    }

    // 8. One cluster seeds IP allocation. Each cluster whose nodes start by consensus claims
    // the whole pod network (Weave's ring spans IPALLOC_RANGE, not the default subnet) among its
    // own nodes; when two such clusters meet, Weave refuses the connection ("IP allocation was
    // seeded by different peers") until one is reset. The others start as observers and take
    // address space from the seeding cluster.
    const seed = weaveMembers.find((o) => o.config.network.weave.ipalloc_init === 'consensus');
    if (seed && m !== seed && net.weave.ipalloc_init === 'consensus')
      r.report(
        'ConsensusTwice',
        'warning',
        m,
        r.at(m, 'network.weave.ipalloc_init'),
        `this cluster and ${seed.file} (${r.where(seed, 'network.weave.ipalloc_init')}) would both allocate from ${net.pod_network_cidr} by a consensus of their own nodes; Weave refuses the connection when they meet ("IP allocation was seeded by different peers") until one is reset`,
        `set network.weave.ipalloc_init: observer in every cluster but ${seed.file} (observers take address space from it once they reach it)`,
      );

    // 7. A host belongs to one cluster.
    m.config.hosts.forEach((h, i) => {
      for (const o of weaveMembers.slice(0, k)) {
        if (hostAddresses(o.config).includes(h.address))
          r.report(
            'DuplicateHost',
            'error',
            m,
            ['hosts', i, 'address'],
            `${h.address} is also a host of ${o.file}`,
            'a host belongs to one cluster',
          );
      }
    });
  });
  return r.diagnostics;
}

/**
 * The subnets `config`'s nodes route through the weave bridge: its own `weave.remote_subnets`
 * plus the allocation subnet of each peer cluster, without repeats and without its own.
 */
export function remoteSubnets(
  config: ClusterConfig,
  peers: readonly { file: string; config: ClusterConfig }[] = [],
): { subnets: string[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const own = config.network.weave.ipalloc_default_subnet;
  const subnets: string[] = [];
  const add = (s: string) => {
    const c = cidr(s);
    if (!c) return;
    if (
      subnets.some((t) => {
        const d = cidr(t)!;
        return d.start === c.start && d.end === c.end;
      })
    )
      return;
    if (own !== undefined && cidr(own)?.start === c.start && cidr(own)?.end === c.end) return;
    subnets.push(s);
  };
  config.network.weave.remote_subnets.forEach(add);
  for (const p of peers) {
    const s = p.config.network.weave.ipalloc_default_subnet;
    if (s === undefined) {
      diagnostics.push({
        code: 'MissingOption',
        severity: 'error',
        file: p.file,
        path: 'network.weave.ipalloc_default_subnet',
        message:
          'the peer cluster has no ipalloc_default_subnet, so there is no subnet of its own to route to',
        hint: 'set network.weave.ipalloc_default_subnet in every cluster of the set',
      });
      continue;
    }
    add(s);
  }
  return { subnets, diagnostics };
}
