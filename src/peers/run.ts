/**
 * `peers run`, the side-car's command: its flags and what it does, shared by the CLI
 * (`netpack peers run`, src/cli/commands/peers.ts) and the self-contained side-car script that
 * the official node image runs from a ConfigMap (`node /netpack/sidecar.cjs peers run`,
 * src/peers/script-main.ts). One definition, so both read the same flags and environment.
 * Nothing here loads the config modules: the script stays small.
 */
import type { Command } from 'commander';
import { PEERS_PORT } from '../providers/weave/index.ts';
import { metricsHosts, parseListen, startMetricsServer } from './metrics.ts';
import { DEFAULT_ROUTER_URL, httpWeaveRouter } from './router.ts';
import { PeeringSidecar } from './sidecar.ts';

export interface RunOpts {
  nodeName?: string;
  knownPeers?: string;
  routerUrl: string;
  listen: string;
  metricsAddress?: string;
  resync: string;
  routerCheck: string;
  kubeletDnat: boolean;
  kubeconfig?: string;
}

/** A mistake in the flags or the environment (exit 2), as opposed to a failure while running. */
export class RunUsageError extends Error {}

function seconds(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new RunUsageError(`${flag} must be a positive number of seconds (got "${text}")`);
  return n * 1000;
}

/** The flags of `peers run`, each with its environment variable where it has one. */
export function addRunOptions(cmd: Command): Command {
  return cmd
    .description("the side-car in each weave-net pod: watch Nodes, keep the local router's peers in line")
    .option('--node-name <name>', 'this node (default $NODE_NAME, else $HOSTNAME)')
    .option(
      '--known-peers <list>',
      'extra peers for every list, comma or space separated (default $KNOWN_PEERS)',
    )
    .option('--router-url <url>', "the local Weave router's HTTP API", DEFAULT_ROUTER_URL)
    .option(
      '--listen <addr>',
      '/healthz and /metrics [host:]port (a host here is as --metrics-address)',
      process.env.PEERS_LISTEN ?? `:${PEERS_PORT}`,
    )
    .option(
      '--metrics-address <ip>',
      'serve /healthz and /metrics on this address only, 0.0.0.0 for all (default $NETPACK_METRICS_ADDRESS, else 127.0.0.1 and $POD_IP)',
      process.env.NETPACK_METRICS_ADDRESS,
    )
    .option('--resync <seconds>', 'post the peers again this often, changed or not', '300')
    .option('--router-check <seconds>', 'check the router (GET /status) this often to catch restarts', '10')
    .option(
      '--kubelet-dnat',
      'route kubelet traffic (10250) to other regions through the overlay (or $KUBELET_DNAT=true)',
      false,
    )
    .option('--kubeconfig <path>', 'kubeconfig (default: in-cluster service account, or $KUBECONFIG)');
}

/** Runs the side-car until SIGTERM or SIGINT; `stderr` gets its log lines. */
export async function runPeers(opts: RunOpts, stderr: (text: string) => void): Promise<void> {
  const nodeName = opts.nodeName || process.env.NODE_NAME || process.env.HOSTNAME;
  if (!nodeName)
    throw new RunUsageError('no node name: pass --node-name, or set NODE_NAME (downward API spec.nodeName)');
  const knownPeers = (opts.knownPeers ?? process.env.KNOWN_PEERS ?? '').split(/[\s,]+/).filter(Boolean);
  let listen: { host?: string; port: number };
  let hosts: string[];
  try {
    listen = parseListen(opts.listen);
    hosts = metricsHosts({
      ...(listen.host !== undefined ? { listenHost: listen.host } : {}),
      ...(opts.metricsAddress !== undefined ? { asked: opts.metricsAddress } : {}),
      ...(process.env.POD_IP !== undefined ? { podIp: process.env.POD_IP } : {}),
    });
  } catch (e) {
    throw new RunUsageError((e as Error).message);
  }
  const resyncMs = seconds(opts.resync, '--resync');
  const routerCheckMs = seconds(opts.routerCheck, '--router-check');
  const log = (line: string) => stderr(`${new Date().toISOString()} ${line}\n`);
  // Loaded here only: the side-car is the one command that watches nodes.
  const { kubeNodeSource, iptablesDnat, weaveBridgeIp } = await import('./kube.ts');
  let kube: Awaited<ReturnType<typeof kubeNodeSource>>;
  try {
    kube = await kubeNodeSource(opts.kubeconfig, undefined, (line) => stderr(`${line}\n`));
  } catch (e) {
    throw new RunUsageError(
      `no usable kubeconfig (${opts.kubeconfig ?? 'in-cluster or $KUBECONFIG'}): ${(e as Error).message}`,
    );
  }
  const dnatOn = opts.kubeletDnat || process.env.KUBELET_DNAT === 'true' || process.env.KUBELET_DNAT === '1';
  const sidecar = new PeeringSidecar(kube, httpWeaveRouter(opts.routerUrl), {
    nodeName,
    knownPeers,
    resyncMs,
    routerCheckMs,
    log,
    ...(dnatOn ? { dnat: iptablesDnat(), bridgeIp: () => weaveBridgeIp() } : {}),
  });
  const servers = [];
  for (const host of hosts) {
    try {
      servers.push(
        await startMetricsServer({ host, port: listen.port }, sidecar.metrics, () => sidecar.health()),
      );
    } catch (e) {
      for (const server of servers) await server.close();
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new RunUsageError(
        `cannot serve /healthz and /metrics on ${host}:${listen.port} (${code}): pick another --metrics-address or --listen`,
      );
    }
  }
  const where = servers.map((server, i) => `${hosts[i]}:${server.port}`).join(', ');
  log(
    `netpack peers: node ${nodeName}, router ${opts.routerUrl}, /healthz and /metrics on ${where}, resync ${resyncMs / 1000}s, kubelet DNAT ${dnatOn ? 'on' : 'off'}`,
  );
  sidecar.start();
  await new Promise<void>((resolve) => {
    const done = (sig: string) => {
      log(`netpack peers: ${sig}, stopping`);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve();
    };
    const onTerm = () => done('SIGTERM');
    const onInt = () => done('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  await sidecar.stop();
  for (const server of servers) await server.close();
  kube.close();
}
