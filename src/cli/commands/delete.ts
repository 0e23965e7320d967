import type { Command } from 'commander';
import { nodeReadline } from '../../builtin.ts';
import { connect } from '../../cluster/connect.ts';
import { deleteCluster } from '../../cluster/delete.ts';
import type { Failure } from '../../cluster/failure.ts';
import { STATE_REF } from '../../cluster/inventory.ts';
import type { KubeTarget } from '../../cluster/kubeconfig.ts';
import { acquireLock, holderIdentity } from '../../cluster/lock.ts';
import { type ObjectRef, showRef } from '../../cluster/types.ts';
import {
  addClusterFlags,
  type ClusterFlags,
  clusterAction,
  dryRunOption,
  failureOutput,
  type ReportFormat,
} from '../cluster-command.ts';
import { EXIT, type Io, outputOption, printReport } from '../context.ts';
import { UsageError } from '../io.ts';

async function confirm(question: string): Promise<boolean> {
  const rl = nodeReadline().createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** The question before deleting: which cluster, by context and server, so the wrong one is noticed. */
export function deletePrompt(count: number, target: KubeTarget): string {
  return `Delete these ${count} objects, the pod network of the cluster of context "${target.context}" (server ${target.server})? [y/N] `;
}

export function registerDelete(program: Command, io: Io, setExit: (code: number) => void): void {
  addClusterFlags(
    program
      .command('delete')
      .description('remove what netpack applied (its inventory), then its state; asks first unless --yes')
      .option('-y, --yes', 'do not ask for confirmation', false)
      .addOption(dryRunOption('send the deletes with dryRun=All'))
      .addOption(outputOption('the report: text, json or yaml', ['text', 'json', 'yaml'])),
  )
    .addHelpText(
      'after',
      `
Examples:
  netpack delete                      # lists what goes, then asks
  netpack delete --dry-run --yes      # what the server would delete, nothing changes
  netpack delete --dry-run=client -o json   # what would go, no delete sent

This cuts every pod off the network. Objects without netpack's managed-by label are left alone.
Exit status: 0 deleted (or nothing to delete), 1 failed or declined, 2 usage or the cluster
cannot be talked to (one line on stderr).`,
    )
    .action((opts: DeleteFlags) =>
      clusterAction(io, setExit, () => runDelete(io, opts), { json: opts.output === 'json' }),
    );
}

type DeleteFlags = ClusterFlags & { yes: boolean; dryRun?: 'server' | 'client'; output: ReportFormat };

async function runDelete(io: Io, opts: DeleteFlags): Promise<number> {
  const client = await connect(opts, (l) => io.stderr(`${l}\n`));
  const report = (deleted: string[], failures: Failure[]) => {
    if (opts.output !== 'text')
      printReport(io, opts.output, {
        dryRun: opts.dryRun ?? null,
        deleted,
        failures: failures.map(failureOutput),
      });
  };
  try {
    const asks = !opts.yes && opts.dryRun !== 'client';
    const done = await deleteCluster(client, {
      ...(opts.dryRun ? { dryRun: opts.dryRun } : {}),
      ...(asks
        ? {
            confirm: async (refs: ObjectRef[]) => {
              if (!process.stdin.isTTY)
                throw new UsageError('delete needs --yes when stdin is not a terminal');
              io.stderr(`${refs.map((r) => `  ${showRef(r)}`).join('\n')}\n`);
              return confirm(deletePrompt(refs.length, client.target));
            },
          }
        : {}),
      lock: () => acquireLock(client, holderIdentity('delete')),
      log: (line) => io.stderr(`netpack: ${line}\n`),
    });
    switch (done.result) {
      case 'nothing':
        io.stderr('netpack: nothing to delete: no ConfigMap kube-system/netpack-state in this cluster\n');
        report([], []);
        return EXIT.ok;
      case 'unreadable':
        io.stderr(
          `netpack: ${done.reason}; without it netpack does not know what it applied, so it deletes nothing: fix the ConfigMap, or delete the objects labelled app.kubernetes.io/managed-by=netpack yourself\n`,
        );
        return EXIT.invalid;
      case 'declined':
        io.stderr('netpack: nothing deleted\n');
        return EXIT.invalid;
    }
    const verb = opts.dryRun ? 'would delete' : 'deleted';
    const names = done.deleted.map(showRef);
    if (opts.output === 'text') for (const name of names) io.stdout(`${verb} ${name}\n`);
    if (done.failures.length > 0) {
      report(names, done.failures);
      return EXIT.invalid;
    }
    report([...names, showRef(STATE_REF)], []);
    if (opts.output === 'text')
      io.stdout(
        `${opts.dryRun ? 'dry run: would delete' : 'deleted'} ${names.length} objects and the state${opts.dryRun === 'client' ? ' (client: no request sent)' : ''}\n`,
      );
    return EXIT.ok;
  } finally {
    client.close();
  }
}
