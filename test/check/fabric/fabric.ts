// A small cluster network made of Linux network namespaces, for `netpack check` fabric tests.
// Per node i (1..n): a "node" namespace (underlay 192.0.2.i/24 on a bridge in a "switch"
// namespace; node-local-dns's 169.254.20.10; kube-proxy's DNAT for the probe
// Service and kube-dns in iptables) and a "pod" namespace (10.244.i.2/24, routed by its node;
// nodes route each other's pod /24 over the underlay, no encapsulation). A "control plane"
// namespace reaches every node over a link of its own (198.51.100.0/24 /30s), answers kube-dns,
// and runs the relay the fake API server's pod proxy goes through. Every address lives only in
// namespaces made here; the host's own namespace gets nothing but a Unix socket file.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SERVICE_IP = '10.96.0.50';
export const KUBE_DNS_IP = '10.96.0.10';
export const SERVICE_NAME = 'netpack-check.netpack-check.svc.cluster.local';
const here = new URL('./', import.meta.url).pathname;

/** Why fabric tests cannot run here, or undefined when they can. */
export function fabricUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, veth, iptables)';
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0)
    return `needs "ip netns" (iproute2): ${ip.error?.message ?? ip.stderr.trim()}`;
  const ipt = spawnSync('iptables', ['-V'], { encoding: 'utf8' });
  if (ipt.error || ipt.status !== 0) return 'needs iptables';
  return undefined;
}

export const nodeIp = (i: number) => `192.0.2.${i}`;
export const podIp = (i: number) => `10.244.${i}.2`;
const ctlIp = (i: number) => `198.51.100.${4 * i + 1}`;
const nodeMgmtIp = (i: number) => `198.51.100.${4 * i + 2}`;

export interface Fabric {
  nodes: number;
  /** Namespace names: node i, pod i, the control plane. */
  node(i: number): string;
  pod(i: number): string;
  ctl: string;
  /** Runs shell commands (sh -e); rejects with their stderr. */
  sh(script: string): Promise<void>;
  /** Starts `node ARGS` inside `ns`; resolves once it printed "listening". */
  start(ns: string, args: string[]): Promise<ChildProcess>;
  stop(child: ChildProcess): Promise<void>;
  /** For the fake API server's `podConnect`: a connection to ip:port from inside the fabric. */
  podConnect(ip: string, port: number): Socket;
  close(): Promise<void>;
}

function run(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-e', '-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`fabric setup failed (${code}): ${stderr}`)),
    );
  });
}

/** Namespaces a killed earlier run of these tests left (their process is gone). */
function removeStale(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of list.split('\n')) {
    const m = /^(npkc(\d+)-\S+)/.exec(line);
    if (!m) continue;
    let alive = true;
    try {
      process.kill(Number(m[2]), 0);
    } catch {
      alive = false;
    }
    if (!alive) spawnSync('ip', ['netns', 'del', m[1]!]);
  }
}

export async function buildFabric(nodes: number): Promise<Fabric> {
  removeStale();
  const prefix = `npkc${process.pid}`;
  const node = (i: number) => `${prefix}-n${i}`;
  const pod = (i: number) => `${prefix}-p${i}`;
  const ctl = `${prefix}-ctl`;
  const sw = `${prefix}-sw`;
  const all = [sw, ctl, ...Array.from({ length: nodes }, (_, k) => [node(k + 1), pod(k + 1)]).flat()];
  const children = new Set<ChildProcess>();
  const dir = mkdtempSync(join(tmpdir(), 'netpack-fabric-'));
  const relayPath = join(dir, 'relay.sock');

  const fabric: Fabric = {
    nodes,
    node,
    pod,
    ctl,
    sh: run,
    start(ns, args) {
      return new Promise((resolve, reject) => {
        const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...args], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        children.add(child);
        let stderr = '';
        child.stderr!.on('data', (c: Buffer) => {
          stderr += c.toString();
          if (/listening/.test(stderr)) resolve(child);
        });
        child.on('exit', (code) => {
          children.delete(child);
          reject(new Error(`${args.join(' ')} in ${ns} ended (${code}): ${stderr}`));
        });
      });
    },
    stop(child) {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    },
    podConnect(ip, port) {
      const socket = connect(relayPath);
      socket.write(`${ip} ${port}\n`);
      return socket;
    },
    async close() {
      await Promise.all([...children].map((c) => fabric.stop(c)));
      spawnSync('sh', ['-c', all.map((ns) => `ip netns del ${ns} 2>/dev/null`).join('; ')]);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    const lines: string[] = [];
    for (const ns of all) lines.push(`ip netns add ${ns}`, `ip -n ${ns} link set lo up`);
    lines.push(`ip -n ${sw} link add br0 type bridge`, `ip -n ${sw} link set br0 up`);
    for (let i = 1; i <= nodes; i++) {
      const [n, p] = [node(i), pod(i)];
      const x = (cmd: string) => lines.push(`ip netns exec ${n} ${cmd}`);
      // Underlay: the node's eth0 on the switch.
      lines.push(
        `ip link add eth0 netns ${n} type veth peer name n${i} netns ${sw}`,
        `ip -n ${sw} link set n${i} master br0 up`,
        `ip -n ${n} addr add ${nodeIp(i)}/24 dev eth0`,
        `ip -n ${n} link set eth0 up`,
      );
      // Management link to the control plane.
      lines.push(
        `ip link add mgmt netns ${n} type veth peer name m${i} netns ${ctl}`,
        `ip -n ${n} addr add ${nodeMgmtIp(i)}/30 dev mgmt`,
        `ip -n ${n} link set mgmt up`,
        `ip -n ${ctl} addr add ${ctlIp(i)}/30 dev m${i}`,
        `ip -n ${ctl} link set m${i} up`,
        `ip -n ${ctl} route add 10.244.${i}.0/24 via ${nodeMgmtIp(i)}`,
        `ip -n ${ctl} route add ${nodeIp(i)}/32 via ${nodeMgmtIp(i)}`,
      );
      // The pod and its route through the node.
      lines.push(
        `ip link add eth0 netns ${p} type veth peer name vpod netns ${n}`,
        `ip -n ${p} addr add ${podIp(i)}/24 dev eth0`,
        `ip -n ${p} link set eth0 up`,
        `ip -n ${p} route add default via 10.244.${i}.1`,
        `ip -n ${n} addr add 10.244.${i}.1/24 dev vpod`,
        `ip -n ${n} link set vpod up`,
      );
      x('sysctl -qw net.ipv4.ip_forward=1');
      for (let j = 1; j <= nodes; j++)
        if (j !== i) lines.push(`ip -n ${n} route add 10.244.${j}.0/24 via ${nodeIp(j)}`);
      // node-local-dns's address, and kube-proxy's DNAT for the probe Service (to the local
      // probe, masqueraded as kube-proxy does for hairpin) and for kube-dns (to the control plane).
      // (node-local-dns puts it on a dummy interface; not every kernel here has the module, and
      // lo delivers locally just the same.)
      lines.push(`ip -n ${n} addr add 169.254.20.10/32 dev lo`);
      x(
        `iptables -w -t nat -A PREROUTING -d ${SERVICE_IP} -p tcp --dport 8477 -j DNAT --to-destination ${podIp(i)}:8477`,
      );
      x(`iptables -w -t nat -A POSTROUTING -s ${podIp(i)} -d ${podIp(i)} -j MASQUERADE`);
      x(
        `iptables -w -t nat -A PREROUTING -d ${KUBE_DNS_IP} -p udp --dport 53 -j DNAT --to-destination ${ctlIp(i)}:53`,
      );
    }
    await run(lines.join('\n'));
    const answer = `${SERVICE_NAME}=${SERVICE_IP}`;
    const dns = join(here, 'dns-answerer.mjs');
    await Promise.all([
      fabric.start(ctl, [join(here, 'relay.mjs'), relayPath]),
      fabric.start(ctl, [dns, '0.0.0.0', '53', answer]),
    ]);
    return fabric;
  } catch (e) {
    await fabric.close();
    throw e;
  }
}

/** Starts node i's node-local-dns answerer. */
export function startNodeLocalDns(fabric: Fabric, i: number): Promise<ChildProcess> {
  return fabric.start(fabric.node(i), [
    join(here, 'dns-answerer.mjs'),
    '169.254.20.10',
    '53',
    `${SERVICE_NAME}=${SERVICE_IP}`,
  ]);
}
