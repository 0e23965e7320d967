import type { Command } from 'commander';
import { connect } from '../../cluster/connect.ts';
import { DEFAULT_KUBELET_SAMPLE } from '../../cluster/kubelet-dns.ts';
import { readSnapshot } from '../../cluster/snapshot.ts';
import { clusterStatus, formatStatus } from '../../cluster/status.ts';
import { hasErrors } from '../../config/diagnostics.ts';
import { addClusterFlags, type ClusterFlags, clusterAction } from '../cluster-command.ts';
import { EXIT, type Io, outputOption, printDiagnostics } from '../context.ts';
import { loadClusterFile, UsageError } from '../io.ts';

export function registerStatus(program: Command, io: Io, setExit: (code: number) => void): void {
  addClusterFlags(
    program
      .command('status')
      .description(
        'is the pod network healthy: network pods ready on every node (and why not), controllers, node-local-dns, node conditions and pod CIDRs, IPPool, regions',
      )
      .option('-f, --file <path>', 'judge against this cluster file instead of the applied state')
      .option(
        '--kubelet-sample <n|all>',
        `how many nodes' kubelet configz to read (clusterDNS), at least one per kubelet version and node pool; all: every node, 0: none`,
        String(DEFAULT_KUBELET_SAMPLE),
      )
      .addOption(outputOption('text or json', ['text', 'json'])),
  )
    .addHelpText(
      'after',
      `
Examples:
  netpack status
  netpack status -o json | jq '.findings[] | select(.reason == "NetworkPodNotReady")'

Exit status: 0 healthy, 1 not healthy, 2 usage or the cluster cannot be talked to (one line on
stderr; with -o json also {"error": {"code", "message"}} on stdout).`,
    )
    .action((opts: ClusterFlags & { output: string; kubeletSample: string }) =>
      clusterAction(
        io,
        setExit,
        async () => {
          if (opts.output !== 'text' && opts.output !== 'json')
            throw new UsageError(`--output must be text or json (got "${opts.output}")`);
          const kubeletSample = parseSample(opts.kubeletSample);
          let network: import('../../config/types.ts').NetworkConfig | undefined;
          if (opts.file) {
            const loaded = loadClusterFile(opts.file, (l) => io.stderr(`${l}\n`));
            printDiagnostics(io, loaded.diagnostics);
            if (!loaded.config || hasErrors(loaded.diagnostics)) return EXIT.invalid;
            network = loaded.config.network;
          }
          const client = await connect(opts, (l) => io.stderr(`${l}\n`));
          try {
            const snapshot = await readSnapshot(client, network, { kubeletSample });
            // An unreadable state is a finding of the report (StateUnreadable), not said twice.
            const report = clusterStatus(snapshot);
            io.stdout(opts.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
            return report.healthy ? EXIT.ok : EXIT.invalid;
          } finally {
            client.close();
          }
        },
        { json: opts.output === 'json' },
      ),
    );
}

/** `--kubelet-sample`: a count of nodes, or all. */
function parseSample(text: string): number | 'all' {
  if (text === 'all') return 'all';
  if (!/^\d+$/.test(text))
    throw new UsageError(`--kubelet-sample must be a number of nodes or all (got "${text}")`);
  return Number(text);
}
