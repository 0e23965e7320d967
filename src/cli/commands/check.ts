import { type Command, Option } from 'commander';
import { probeMain } from '../../check/probe.ts';
import { causeContext, formatReport } from '../../check/report.ts';
import { CheckError, runCheck } from '../../check/run.ts';
import { readProbeScript } from '../../check/script.ts';
import { connect, parseDuration } from '../../cluster/connect.ts';
import { errorCode } from '../../cluster/errors.ts';
import { parseState, STATE_REF } from '../../cluster/inventory.ts';
import { ApiError, ClusterError } from '../../cluster/types.ts';
import { hasErrors } from '../../config/diagnostics.ts';
import type { ClusterConfig } from '../../config/types.ts';
import { CLUSTER_DOMAIN } from '../../providers/nodelocaldns/index.ts';
import { addClusterFlags, type ClusterFlags } from '../cluster-command.ts';
import { EXIT, type Io, outputOption, printDiagnostics } from '../context.ts';
import { loadClusterFile, UsageError } from '../io.ts';

interface CheckFlags extends ClusterFlags {
  output: string;
  timeout: string;
  testTimeout: string;
  nodes?: string;
  sample?: string;
  external?: string;
  hostProbes: boolean;
}

/** Well above any pod MTU (some 180 full-size packets), small enough for 50 nodes at once. */
const LARGE_BYTES = 256 * 1024;

function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new UsageError(`${flag} must be a duration like 3s or 2m (got "${text}")`);
  return ms;
}

export function registerCheck(program: Command, io: Io, setExit: (code: number) => void): void {
  const check = addClusterFlags(
    program
      .command('check')
      .description(
        'prove the pod network carries traffic: probe pods on every node test every other (pod to pod, large transfers, Service, DNS, node to pod), then everything is removed',
      )
      .option(
        '-f, --file <path>',
        'cluster file, for the causes (ports, MTU, node-local-dns); default the applied state',
      )
      .addOption(outputOption('text or json', ['text', 'json']))
      .option('--timeout <duration>', 'the whole check, deployment included', '2m')
      .option('--test-timeout <duration>', 'each test (at most 60s)', '3s')
      .option('--nodes <names>', 'only these nodes (comma-separated)')
      .option(
        '--sample <n>',
        'each node tests only N others (the next ones by name); default all: n×(n−1) pairs',
      )
      .option('--external <host:port>', 'also test egress from every node to this address')
      .addOption(new Option('--no-host-probes', 'skip node ↔ pod tests (no host-network pods)')),
  )
    .addHelpText(
      'after',
      `
Cost: a full mesh of n nodes is n×(n−1) ordered pairs; each pair is one small request, one large
download and upload (256 KiB each way) and, with host probes, pod → node and node → pod: about
5×(n−1) connections per node, 245 per node at 50 nodes. --sample N makes it 5×N per node.

Matrix letters: T pod→pod  L large transfer  S Service ClusterIP  N node-local-dns  D kube-dns
H node→pod  P pod→node  E egress (--external).

Examples:
  netpack check
  netpack check -f cluster.yml --nodes node-1,node-2 --external 1.1.1.1:443
  netpack check --sample 5 -o json | jq '.findings[].reason'

Exit status: 0 every test passed, 1 some failed (see FINDINGS), 2 usage, or the check could not
run (cluster unreachable, --timeout, Ctrl-C). Whatever happens, the namespace netpack-check goes.`,
    )
    .action((opts: CheckFlags) => runCheckCommand(io, setExit, opts));
  check
    .command('probe')
    .description('run the probe program here (what the check pods run; for tests and debugging)')
    .option('--port <n>', 'port to listen on', '8477')
    .option('--listen <address>', 'address to listen on', '0.0.0.0')
    .option('--node <name>', 'the node name it reports (default $NODE_NAME, else the host name)')
    .addHelpText(
      'after',
      `
Examples:
  netpack check probe --port 8477 --node node-1
  curl -s localhost:8477/echo

Exit status: 0 when stopped (SIGTERM, SIGINT), 1 when it cannot listen, 2 usage.`,
    )
    .action(async (opts: { port: string; listen: string; node?: string }) => {
      const argv = [
        '--port',
        opts.port,
        '--listen',
        opts.listen,
        ...(opts.node ? ['--node', opts.node] : []),
      ];
      setExit((await probeMain(argv, (l) => io.stderr(`${l}\n`))) ?? EXIT.ok);
    });
}

async function runCheckCommand(io: Io, setExit: (code: number) => void, opts: CheckFlags): Promise<void> {
  const progress = (line: string) => io.stderr(`${line}\n`);
  const controller = new AbortController();
  const onSignal = (sig: string) => {
    progress(`netpack check: ${sig}: stopping and cleaning up`);
    controller.abort();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const timeoutMs = duration('--timeout', opts.timeout);
    const testTimeoutMs = duration('--test-timeout', opts.testTimeout);
    if (testTimeoutMs > 60_000)
      throw new UsageError(`--test-timeout is at most 60s (got "${opts.testTimeout}")`);
    const sample = opts.sample === undefined ? undefined : Number(opts.sample);
    if (sample !== undefined && !(Number.isInteger(sample) && sample > 0))
      throw new UsageError(`--sample must be a whole number above 0 (got "${opts.sample}")`);
    let external: { host: string; port: number } | undefined;
    if (opts.external !== undefined) {
      const m = /^(.+):(\d{1,5})$/.exec(opts.external);
      if (!m || Number(m[2]) > 65535)
        throw new UsageError(`--external must be HOST:PORT (got "${opts.external}")`);
      external = { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
    }
    const nodes = opts.nodes
      ?.split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    const script = readProbeScript();
    if (!('text' in script))
      throw new UsageError(
        `the probe program is missing (looked at ${script.missing.join(', ')}): run npm run build`,
      );
    let config: ClusterConfig | undefined;
    if (opts.file) {
      const loaded = loadClusterFile(opts.file, progress);
      printDiagnostics(io, loaded.diagnostics);
      if (!loaded.config || hasErrors(loaded.diagnostics)) return setExit(EXIT.usage);
      config = loaded.config;
    }
    const client = await connect(opts, progress);
    try {
      if (!config) {
        const cm = await client.get(STATE_REF);
        const state = cm ? parseState(cm) : undefined;
        // Only the network section is stored; the causes need nothing else (no hosts: Weave's
        // encryption then counts as on, the safe side for the ports it names).
        if (state?.ok) config = { hosts: [], network: state.state.network } as unknown as ClusterConfig;
        else
          progress(
            'netpack check: no applied state to read the network from; causes will be general (pass -f cluster.yml)',
          );
      }
      const { addresses: _none, ...context } = causeContext(config, {});
      const report = await runCheck(client, {
        probeScript: script.text,
        ...(nodes ? { nodes } : {}),
        ...(sample !== undefined ? { sample } : {}),
        ...(external ? { external } : {}),
        timeoutMs,
        testTimeoutMs,
        largeBytes: LARGE_BYTES,
        hostProbes: opts.hostProbes,
        nodeLocalDns: config?.network.node_local_dns_cache.enabled ?? false,
        clusterDomain: CLUSTER_DOMAIN,
        context,
        progress,
        signal: controller.signal,
      });
      io.stdout(opts.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      setExit(report.ok ? EXIT.ok : EXIT.invalid);
    } finally {
      client.close();
    }
  } catch (e) {
    if (
      e instanceof UsageError ||
      e instanceof CheckError ||
      e instanceof ClusterError ||
      e instanceof ApiError
    ) {
      io.stderr(`netpack check: ${e.message}\n`);
      // As the other cluster commands: with -o json, the failure as JSON on stdout too.
      if (opts.output === 'json') {
        const code =
          e instanceof CheckError
            ? `Check${e.why[0]!.toUpperCase()}${e.why.slice(1)}`
            : e instanceof UsageError
              ? 'Usage'
              : errorCode(e);
        io.stdout(`${JSON.stringify({ error: { code, message: e.message } }, null, 2)}\n`);
      }
      return setExit(EXIT.usage);
    }
    throw e;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
