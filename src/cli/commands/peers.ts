import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { FileRefused, readRegularFile } from '../../files.ts';
import { renderPeersHtml } from '../../peers/html.ts';
import type { PeerNode } from '../../peers/node.ts';
import { type Finding, PeerIndex } from '../../peers/plan.ts';
import { addRunOptions, type RunOpts, RunUsageError, runPeers } from '../../peers/run.ts';
import { peerNodeFromHost, peerNodesFromJson } from '../../peers/sources.ts';
import { ChunkedWriter, columnWidths, writePlanJson, writePlanTable, writeTable } from '../../peers/write.ts';
import { EXIT, type Io, outputOption, printDiagnostics } from '../context.ts';
import { loadClusterFile, UsageError } from '../io.ts';

interface PlanOpts {
  file?: string;
  nodes?: string;
  output: string;
  html?: string;
  node?: string;
}

const KUBECTL_NODES = 'give the output of `kubectl get nodes -o json`';

/** The nodes of a `--nodes` file; a file that is missing, unreadable or not JSON is a usage error. */
function readNodesFile(path: string): PeerNode[] {
  let text: string;
  try {
    text = readRegularFile(path);
  } catch (e) {
    if (!(e instanceof FileRefused)) throw e;
    const why =
      e.reason === 'missing'
        ? 'no such file'
        : e.reason === 'directory'
          ? `is a directory; ${KUBECTL_NODES}`
          : e.why;
    throw new UsageError(`cannot read ${path}: ${why}`);
  }
  try {
    return peerNodesFromJson(text);
  } catch (e) {
    // V8 quotes the start of the text in a JSON error; keep the message on one line.
    const message = (e as Error).message.replace(/\s+/g, ' ');
    throw new UsageError(
      e instanceof SyntaxError ? `${path}: not JSON (${message}); ${KUBECTL_NODES}` : `${path}: ${message}`,
    );
  }
}

/** `peers plan`: the offline view. */
function planAction(io: Io, setExit: (code: number) => void, opts: PlanOpts): void {
  if (opts.output !== 'table' && opts.output !== 'json')
    throw new UsageError(`--output must be table or json (got "${opts.output}")`);
  let nodes: PeerNode[] = [];
  let knownPeers: string[] = [];
  let trusted: string[] = [];
  let title = 'Weave peering plan';
  let noNodes = '';
  if (opts.file !== undefined || opts.nodes === undefined) {
    const loaded = loadClusterFile(opts.file, (line) => io.stderr(`${line}\n`));
    printDiagnostics(io, loaded.diagnostics);
    if (!loaded.config) {
      setExit(EXIT.invalid);
      return;
    }
    const { provider } = loaded.config.network;
    if (provider !== 'weave')
      io.stderr(
        `netpack: warning: peering plans apply to Weave only; ${loaded.file} uses provider ${provider}\n`,
      );
    knownPeers = loaded.config.network.weave.known_peers;
    trusted = loaded.config.network.weave.trusted_subnets;
    nodes = loaded.config.hosts.map(peerNodeFromHost);
    title = `Weave peering plan — ${loaded.file}`;
    noNodes = `no nodes (${loaded.file} has no hosts; try --nodes nodes.json)`;
  }
  if (opts.nodes !== undefined) {
    nodes = readNodesFile(opts.nodes);
    title = `Weave peering plan — ${opts.nodes}`;
    noNodes = `no nodes in ${opts.nodes}`;
  }
  const index = new PeerIndex(nodes, knownPeers);
  if (opts.html) {
    writeFileSync(opts.html, renderPeersHtml({ title, nodes, knownPeers, trustedSubnets: trusted }));
    io.stderr(`netpack: wrote ${opts.html} (${nodes.length} nodes)\n`);
  }
  const out = (chunk: string) => io.stdout(chunk);
  let findings: Finding[];
  if (opts.node !== undefined) {
    // One node: its list alone, as it would get it (no other node's list is computed).
    const one = index.planFor(opts.node);
    findings = one.findings;
    const peers = one.peers ? { [opts.node]: one.peers } : {};
    if (opts.output === 'json') io.stdout(`${JSON.stringify({ peers, findings }, null, 2)}\n`);
    else {
      const rows = [['NODE', 'REGION', 'PEERS', 'ADDRESSES']];
      if (one.peers)
        rows.push([
          opts.node,
          index.get(opts.node)?.region ?? '-',
          String(one.peers.length),
          one.peers.join(' ') || '-',
        ]);
      const w = new ChunkedWriter(out);
      if (nodes.length === 0) w.write(`${noNodes}\n`);
      else writeTable(rows, columnWidths(rows), w);
      w.flush();
    }
  } else {
    // The whole cluster, stated per region (linear in the nodes), written in chunks.
    const plan = index.regionPlan();
    findings = plan.findings;
    if (opts.output === 'json') writePlanJson(plan, out);
    else if (nodes.length === 0) io.stdout(`${noNodes}\n`);
    else writePlanTable(plan, out);
  }
  if (opts.output !== 'json') for (const f of findings) io.stderr(`netpack: ${f.kind}: ${f.message}\n`);
  // Findings are facts about the nodes, not failures of the command; an unknown --node is a
  // mistake on the command line (as an unknown --host of firewall is).
  setExit(findings.some((f) => f.kind === 'unknown-node') ? EXIT.usage : EXIT.ok);
}

/** `peers run`: the side-car (src/peers/run.ts); returns when SIGTERM or SIGINT arrives. */
async function runAction(io: Io, setExit: (code: number) => void, opts: RunOpts): Promise<void> {
  try {
    await runPeers(opts, io.stderr);
  } catch (e) {
    if (e instanceof RunUsageError) throw new UsageError(e.message);
    throw e;
  }
  setExit(EXIT.ok);
}

export function registerPeers(program: Command, io: Io, setExit: (code: number) => void): void {
  const peers = program
    .command('peers')
    .description('region-aware Weave peering: the plan, and the side-car that applies it')
    .addHelpText(
      'after',
      `
Examples:
  netpack peers plan -f cluster.yml --html mesh.html   # who peers with whom, offline
  netpack peers run                                    # inside a weave-net pod (rendered for you)`,
    );
  peers
    .command('plan')
    .description("print each node's Weave peers (private address within a region, public across regions)")
    .option(
      '-f, --file <path>',
      'cluster file: nodes from hosts:, plus weave.known_peers and trusted_subnets',
    )
    .option('--nodes <file>', 'nodes from `kubectl get nodes -o json` instead of hosts:')
    .addOption(
      outputOption(
        'table or json ({"knownPeers", "regions", "findings"}; with --node {"peers", "findings"})',
        ['table', 'json'],
      ),
    )
    .option('--html <file>', 'also write a self-contained page that draws regions, nodes and links')
    .option('--node <name>', "only this node's peers")
    .addHelpText(
      'after',
      `
Nodes from hosts: are named by their kubernetes.io/hostname label, else their address; their
region is the topology.kubernetes.io/region label; InternalIP is private_address (else address)
and the public address is address (Pharos labelled nodes node-address.kontena.io/external-ip).

Examples:
  netpack peers plan -f cluster.yml
  kubectl get nodes -o json > nodes.json && netpack peers plan -f cluster.yml --nodes nodes.json -o json
  netpack peers plan --nodes nodes.json --html mesh.html

Exit status: 0 planned (findings about the nodes are printed, not failures), 1 invalid config,
2 usage error (such as an unknown --node or an unreadable --nodes file).`,
    )
    .action((opts: PlanOpts) => planAction(io, setExit, opts));
  addRunOptions(peers.command('run'))
    .addHelpText(
      'after',
      `
Render adds this side-car to the weave-net DaemonSet when network.weave.peering.enabled is true.

Examples:
  netpack peers run                                   # in the pod: NODE_NAME from the downward API
  netpack peers run --kubeconfig ~/.kube/config --node-name node-1 --router-url http://127.0.0.1:6784`,
    )
    .action((opts: RunOpts) => runAction(io, setExit, opts));
}
