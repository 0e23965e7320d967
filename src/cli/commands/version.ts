import type { Command } from 'commander';
import { connect } from '../../cluster/connect.ts';
import { OUR_SELECTOR } from '../../cluster/read.ts';
import type { ServerVersion } from '../../cluster/types.ts';
import { type WorkloadVersion, workloadVersions } from '../../cluster/versions.ts';
import { addClusterFlags, type ClusterFlags, clusterAction } from '../cluster-command.ts';
import { EXIT, type Io, outputOption, printReport } from '../context.ts';
import { VERSION } from '../program.ts';
import { loadAndRender } from './render.ts';

interface VersionFlags extends ClusterFlags {
  client: boolean;
  output: 'text' | 'json' | 'yaml';
}

/** `version -o json|yaml`: stable keys; `server` and `running` absent with --client. */
interface VersionReport {
  client: { version: string; node: string };
  rendered: WorkloadVersion[];
  server?: ServerVersion;
  running?: WorkloadVersion[];
}

function table(rows: WorkloadVersion[]): string {
  if (rows.length === 0) return '  (none)\n';
  const w = Math.max(...rows.map((r) => `${r.workload} ${r.container}`.length));
  return rows.map((r) => `  ${`${r.workload} ${r.container}`.padEnd(w)}  ${r.version}\n`).join('');
}

export function registerVersion(program: Command, io: Io, setExit: (code: number) => void): void {
  addClusterFlags(
    program
      .command('version')
      .description(
        "netpack's version, the network versions the config renders, and (unless --client) the API server's version and the network versions running",
      )
      .option('-f, --file <path>', 'cluster file (default ./cluster.yml, else the built-in default)')
      .option('--client', 'only what needs no cluster: the client and the rendered versions', false)
      .addOption(outputOption('text, json or yaml', ['text', 'json', 'yaml'])),
  )
    .addHelpText(
      'after',
      `
Examples:
  netpack version --client
  netpack version -o json | jq -r .server.gitVersion
  kubectl netpack version            # the same, as a kubectl plugin

Exit status: 0 fine, 1 invalid config or the cluster cannot be reached (the client part is
printed first), 2 usage.`,
    )
    .action((opts: VersionFlags) =>
      clusterAction(io, setExit, async () => {
        const rendered = loadAndRender(opts.file, io, false);
        if (!rendered) return EXIT.invalid;
        const report: VersionReport = {
          client: { version: VERSION, node: process.version },
          rendered: workloadVersions(rendered.result.objects),
        };
        const format = opts.output === 'text' ? undefined : opts.output;
        if (!format)
          io.stdout(
            `Client Version: ${VERSION} (Node ${process.version})\nRendered (${rendered.loaded.file}):\n${table(report.rendered)}`,
          );
        if (opts.client) {
          if (format) printReport(io, format, report);
          return EXIT.ok;
        }
        const client = await connect(opts, (l) => io.stderr(`${l}\n`));
        try {
          report.server = await client.serverVersion();
          const live = await Promise.all(
            ['DaemonSet', 'Deployment'].map((kind) =>
              client.list('apps/v1', kind, { labelSelector: OUR_SELECTOR }),
            ),
          );
          report.running = workloadVersions(live.flatMap((l) => l.items));
        } finally {
          client.close();
        }
        if (!format)
          io.stdout(`Server Version: ${report.server.gitVersion}\nRunning:\n${table(report.running)}`);
        else printReport(io, format, report);
        return EXIT.ok;
      }),
    );
}
