import type { Command } from 'commander';
import { connect } from '../../cluster/connect.ts';
import { type DiffResult, serverVerdict } from '../../cluster/diff.ts';
import { formatPlan, formatRefusals, formatStaleSecrets, planReport } from '../../cluster/report.ts';
import {
  addClusterFlags,
  type ClusterFlags,
  clusterAction,
  failureOutput,
  loadDesired,
  planAgainst,
  type ReportFormat,
} from '../cluster-command.ts';
import { type Io, outputOption, printReport } from '../context.ts';

/** diff's exit status, as kubectl diff's: 0 no differences, 1 differences, above 1 an error. */
const DIFF_EXIT = { same: 0, differ: 1, error: 2 } as const;

export function registerDiff(program: Command, io: Io, setExit: (code: number) => void): void {
  addClusterFlags(
    program
      .command('diff')
      .description(
        'what apply would create, change (field by field) and prune, and which changes it refuses; changes nothing',
      )
      .option('-f, --file <path>', 'cluster file, - for standard input (default ./cluster.yml)')
      .option(
        '--allow-dns-cache-removal',
        'show the plan as apply --allow-dns-cache-removal would run it (node_local_dns_cache turned off where it runs)',
        false,
      )
      .addOption(outputOption('text, json or yaml', ['text', 'json', 'yaml'])),
  )
    .addHelpText(
      'after',
      `
Examples:
  netpack diff -f cluster.yml
  netpack diff -f cluster.yml -o json | jq '.changes[].object'
  netpack diff -f cluster.yml; [ $? -eq 1 ] && echo "drift"

Exit status, as kubectl diff: 0 nothing would change, 1 something would change or is refused,
2 (above 1) an error: invalid config, the cluster cannot be reached, usage.`,
    )
    .action((opts: ClusterFlags & { output: ReportFormat; allowDnsCacheRemoval: boolean }) =>
      clusterAction(
        io,
        setExit,
        async () => {
          const ready = loadDesired(opts.file, io);
          if (!ready) return DIFF_EXIT.error;
          const client = await connect(opts, (l) => io.stderr(`${l}\n`));
          try {
            const d = await planAgainst(client, ready, io, {
              allowDnsCacheRemoval: opts.allowDnsCacheRemoval,
            });
            if (!d) return DIFF_EXIT.error;
            const result = await serverVerdict(client, ready.config, d);
            printDiff(io, opts.output, result);
            return result.differ ? DIFF_EXIT.differ : DIFF_EXIT.same;
          } finally {
            client.close();
          }
        },
        { json: opts.output === 'json' },
      ),
    );
}

function printDiff(io: Io, format: ReportFormat, result: DiffResult): void {
  const { decision: d, refusedByServer: refused, conflicts } = result;
  if (format !== 'text') {
    printReport(io, format, {
      inSync: !result.differ,
      ...planReport(d.plan, d.refusals, d.secretsToCreate, d.stateChanges),
      refusedByServer: refused.map(failureOutput),
      conflicts: conflicts.map(failureOutput),
      staleSecrets: d.secretsStale,
      warnings: d.noEffect,
    });
    return;
  }
  for (const line of formatRefusals(d.refusals)) io.stdout(`! ${line}\n`);
  for (const line of formatPlan(d.plan, d.secretsToCreate, d.stateChanges)) io.stdout(`${line}\n`);
  for (const line of formatStaleSecrets(d.secretsStale)) io.stdout(`! ${line}\n`);
  for (const line of d.noEffect) io.stdout(`! warning: ${line}\n`);
  for (const r of refused) io.stdout(`! refused by the API server: ${r.ref}: ${r.message}\n`);
  for (const c of conflicts)
    io.stdout(`! conflict: ${c.ref}: ${c.message}; apply needs --force to take the fields back\n`);
}
