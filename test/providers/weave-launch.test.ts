/**
 * The rendered weave-net DaemonSet read the way Weave reads it: the `weave` container's env and
 * args are handed to the real `launch.sh` (the maintained fork's v2.9.0, from
 * ../shared/upstream), run with `sh` in a temporary directory. Its absolute paths
 * (/home/weave/..., /usr/bin/weaveutil, /sbin/...) are pointed at stand-ins there: kube-utils
 * prints the cluster's node list (what it answers without KUBE_PEERS), weaver records the
 * arguments it was started with. So the test sees the exact weaver command line: its peers, its
 * `--ipalloc-init`, its `--conn-limit`, and the iptables backend launch.sh picked.
 * Nothing here touches the host: every path the script writes or removes is inside the temp dir.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.ts';
import type { FileProbe } from '../../src/config/reporter.ts';
import type { ClusterConfig } from '../../src/config/types.ts';
import { renderWeave } from '../../src/providers/weave/index.ts';
import { upstreamDir } from '../support/upstream.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'netpack-launch-'));
after(() => rmSync(work, { recursive: true, force: true }));

const probe: FileProbe = {
  kind: (p) => (existsSync(p) ? 'file' : 'missing'),
};

function loadFile(path: string): ClusterConfig {
  const r = loadConfig(readFileSync(path, 'utf8'), { file: path, baseDir: dirname(path), probe });
  assert.ok(r.config, JSON.stringify(r.diagnostics));
  return r.config;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: unknown; secretKeyRef?: unknown };
}
interface WeaveContainer {
  name: string;
  env: EnvVar[];
  args?: string[];
}

function weaveContainer(config: ClusterConfig): WeaveContainer {
  const ds = renderWeave(config, {}, { includeSecrets: false }).objects.find((o) => o.kind === 'DaemonSet')!;
  const spec = (ds.spec as { template: { spec: { containers: WeaveContainer[] } } }).template.spec;
  return spec.containers.find((c) => c.name === 'weave')!;
}

function stub(path: string, body: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

interface Launched {
  /** weaver's arguments, one per element, as launch.sh started it. */
  argv: string[];
  /** The value of each `--flag=value` or `--flag value`. */
  flag(name: string): string | undefined;
  /** The positional arguments after the flags: weaver's peers. */
  peers: string[];
  stdout: string;
}

let runs = 0;
/**
 * Runs launch.sh with the container's env and args, on a node whose Kubernetes node list is
 * `nodeList`. `legacyRules` and `nftRules`: how many rules the host's two iptables backends seem to hold.
 */
function launch(container: WeaveContainer, nodeList: string[], legacyRules = 0, nftRules = 0): Launched {
  const dir = join(work, String(runs++));
  const weaveHome = join(dir, 'home', 'weave');
  const record = join(dir, 'weaver.args');
  stub(
    join(weaveHome, 'kube-utils'),
    `[ $# -eq 0 ] && { echo "${nodeList.join(' ')}"; exit 0; }\ncase "$1" in -print-k8s-version) echo v1.33.0 ;; -print-uid) echo uid-1 ;; -check-peer-new) exit 1 ;; esac\nexit 0`,
  );
  stub(
    join(weaveHome, 'weaver'),
    `for a in "$@"; do [ "$a" = --print-peer-name ] && { echo 02:00:00:00:00:01; exit 0; }; done\nfor a in "$@"; do printf '%s\\n' "$a"; done > '${record}'`,
  );
  stub(join(weaveHome, 'weave'), 'exit 0');
  const bin = join(dir, 'bin');
  stub(join(bin, 'weaveutil'), 'exit 0');
  stub(join(bin, 'curl'), 'exit 0');
  stub(
    join(bin, 'iptables-legacy-save'),
    `i=0; while [ $i -lt ${legacyRules} ]; do echo "-A INPUT -j ACCEPT"; i=$((i+1)); done`,
  );
  stub(
    join(bin, 'iptables-nft-save'),
    `i=0; while [ $i -lt ${nftRules} ]; do echo "-A INPUT -j ACCEPT"; i=$((i+1)); done`,
  );
  for (const t of ['iptables', 'iptables-save', 'iptables-restore']) stub(join(dir, 'sbin', t), 'exit 0');
  const script = readFileSync(join(upstreamDir()!, 'weave-v2.9.0-fork', 'launch.sh'), 'utf8')
    .replaceAll('/home/weave/', `${weaveHome}/`)
    .replaceAll('/usr/bin/weaveutil', join(bin, 'weaveutil'))
    .replaceAll('/sbin/', `${dir}/sbin/`)
    .replaceAll('/weavedb/', `${dir}/weavedb/`);
  writeFileSync(join(dir, 'launch.sh'), script);
  const env: Record<string, string> = { PATH: `${bin}:/usr/bin:/bin` };
  for (const e of container.env) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef) env[e.name] = 'node-1';
    else if (e.valueFrom?.secretKeyRef) env[e.name] = 'not-a-real-secret';
  }
  const r = spawnSync('sh', [join(dir, 'launch.sh'), ...(container.args ?? [])], {
    env,
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(r.status, 0, `launch.sh failed: ${r.stderr}`);
  const argv = readFileSync(record, 'utf8').trimEnd().split('\n');
  const flag = (name: string) => {
    const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i < 0) return undefined;
    return argv[i]!.includes('=') ? argv[i]!.slice(argv[i]!.indexOf('=') + 1) : argv[i + 1];
  };
  // Flags come first; `--ipalloc-init X` and `--mtu X` take their value as the next word.
  const peers: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      if (!a.includes('=') && (a === '--ipalloc-init' || a === '--mtu')) i++;
      continue;
    }
    peers.push(a);
  }
  return { argv, flag, peers, stdout: r.stdout };
}

const haveUpstream =
  upstreamDir() !== null && existsSync(join(upstreamDir()!, 'weave-v2.9.0-fork', 'launch.sh'));

describe('weave: the DaemonSet as launch.sh runs it', {
  skip: !haveUpstream && 'UPSTREAM launch.sh MISSING',
}, () => {
  test('examples/multi-cluster/two/a.yml: own nodes and cluster B’s known peers, consensus over its own 3 nodes', () => {
    const a = loadFile(join(ROOT, 'examples', 'multi-cluster', 'two', 'a.yml'));
    const own = a.hosts.map((h) => h.private_address ?? h.address);
    const run = launch(weaveContainer(a), own);
    // Every node of this cluster, whatever cluster B is doing, plus B's nodes.
    assert.deepEqual(run.peers.sort(), [...own, '192.168.20.11', '192.168.20.12'].sort());
    // Allocation starts once this cluster's own nodes agree (not B's two known peers).
    assert.equal(run.flag('ipalloc-init'), 'consensus=3');
    assert.equal(run.flag('ipalloc-range'), '10.32.0.0/12');
    assert.match(run.argv.join(' '), /--ipalloc-default-subnet=10\.33\.0\.0\/16/);
    assert.equal(run.flag('conn-limit'), '0', 'unlimited');
  });

  test('cluster B of the example starts as observer: no consensus of its own to clash with A’s', () => {
    const b = loadFile(join(ROOT, 'examples', 'multi-cluster', 'two', 'b.yml'));
    const own = b.hosts.map((h) => h.address);
    const run = launch(weaveContainer(b), own);
    assert.equal(run.flag('ipalloc-init'), 'observer');
    assert.deepEqual(run.peers.sort(), [...own, '192.168.10.11', '192.168.10.12'].sort());
  });

  test('300 hosts: every node a peer, consensus=300, connections unlimited (weave’s default of 200 is not used)', () => {
    const hosts = Array.from(
      { length: 300 },
      (_, i) => `  - {address: 10.1.${i >> 8}.${i & 255}, role: ${i < 3 ? 'master' : 'worker'}}`,
    );
    const r = loadConfig(`hosts:\n${hosts.join('\n')}\nnetwork:\n  provider: weave\n`, {
      file: 'big.yml',
      baseDir: work,
      probe,
    });
    assert.ok(r.config, JSON.stringify(r.diagnostics));
    const own = r.config.hosts.map((h) => h.address);
    const run = launch(weaveContainer(r.config), own);
    assert.equal(run.peers.length, 300);
    assert.equal(run.flag('ipalloc-init'), 'consensus=300');
    const limit = Number(run.flag('conn-limit'));
    assert.ok(limit === 0 || limit > 300, `conn-limit ${limit} lets every other node connect`);
  });

  test('iptables_backend: legacy and nft are what launch.sh uses; auto is detected from the host', () => {
    const withBackend = (b: 'auto' | 'nft' | 'legacy') => {
      const c = loadFile(join(ROOT, 'examples', 'multi-cluster', 'two', 'a.yml'));
      c.network.weave.iptables_backend = b;
      return weaveContainer(c);
    };
    assert.match(launch(withBackend('legacy'), ['10.0.0.1']).stdout, /iptables backend mode: legacy/);
    // nft chosen even where the legacy tables hold rules (auto would pick legacy there).
    assert.match(launch(withBackend('nft'), ['10.0.0.1'], 20).stdout, /iptables backend mode: nft/);
    assert.match(launch(withBackend('auto'), ['10.0.0.1'], 20).stdout, /iptables backend mode: legacy/);
    assert.match(launch(withBackend('auto'), ['10.0.0.1'], 0, 5).stdout, /iptables backend mode: nft/);
  });
});
