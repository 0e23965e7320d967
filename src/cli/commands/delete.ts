import type { Command } from 'commander';
import { nodeReadline } from '../../builtin.ts';
import { mapLimit } from '../../cluster/apply.ts';
import { connect } from '../../cluster/connect.ts';
import { parseState, STATE_REF } from '../../cluster/inventory.ts';
import type { KubeTarget } from '../../cluster/kubeconfig.ts';
import { acquireLock, holderIdentity } from '../../cluster/lock.ts';
import { isOurs } from '../../cluster/plan.ts';
import { type ObjectRef, showRef } from '../../cluster/types.ts';
import { EXIT, type Io, outputOption, printReport } from '../context.ts';
import { UsageError } from '../io.ts';
import {
  addClusterFlags,
  type ClusterFlags,
  clusterAction,
  dryRunOption,
  type ReportFormat,
} from './apply.ts';

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

/** Namespaced objects first, then cluster-scoped ones, CRDs last (their resources go with them). */
function deleteRank(ref: ObjectRef): number {
  return ref.kind === 'CustomResourceDefinition' ? 2 : ref.namespace ? 0 : 1;
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
    .action((opts: ClusterFlags & { yes: boolean; dryRun?: 'server' | 'client'; output: ReportFormat }) =>
      clusterAction(
        io,
        setExit,
        async () => {
          const client = await connect(opts, (l) => io.stderr(`${l}\n`));
          const report = (deleted: string[], failures: { object: string; message: string }[]) => {
            if (opts.output !== 'text')
              printReport(io, opts.output, { dryRun: opts.dryRun ?? null, deleted, failures });
          };
          try {
            const cm = await client.get(STATE_REF);
            if (!cm) {
              io.stderr(
                'netpack: nothing to delete: no ConfigMap kube-system/netpack-state in this cluster\n',
              );
              report([], []);
              return EXIT.ok;
            }
            const parsed = parseState(cm);
            if (!parsed.ok) {
              io.stderr(
                `netpack: ${parsed.reason}; without it netpack does not know what it applied, so it deletes nothing: fix the ConfigMap, or delete the objects labelled app.kubernetes.io/managed-by=netpack yourself\n`,
              );
              return EXIT.invalid;
            }
            const refs = [...parsed.state.inventory].sort((a, b) => deleteRank(a) - deleteRank(b));
            if (!opts.yes && opts.dryRun !== 'client') {
              if (!process.stdin.isTTY)
                throw new UsageError('delete needs --yes when stdin is not a terminal');
              io.stderr(`${refs.map((r) => `  ${showRef(r)}`).join('\n')}\n`);
              if (!(await confirm(deletePrompt(refs.length, client.target)))) {
                io.stderr('netpack: nothing deleted\n');
                return EXIT.invalid;
              }
            }
            const lock = opts.dryRun ? undefined : await acquireLock(client, holderIdentity('delete'));
            try {
              return await deleteAll(refs);
            } finally {
              await lock?.release().catch(() => {});
            }
          } finally {
            client.close();
          }

          async function deleteAll(refs: ObjectRef[]): Promise<number> {
            const deleted = new Set<ObjectRef>();
            const failed: { object: string; message: string }[] = [];
            for (const rank of [0, 1, 2]) {
              const failures = await mapLimit(
                refs.filter((r) => deleteRank(r) === rank),
                16,
                async (ref) => {
                  const live = await client.get(ref);
                  if (!live) return;
                  if (!isOurs(live)) {
                    io.stderr(`netpack: left alone: ${showRef(ref)} (no managed-by=netpack label)\n`);
                    return;
                  }
                  if (opts.dryRun === 'client') deleted.add(ref);
                  else if ((await client.delete(ref, { dryRun: opts.dryRun === 'server' })) === 'deleted')
                    deleted.add(ref);
                },
              );
              for (const f of failures)
                io.stderr(`netpack: failed: ${showRef(f.item)}: ${f.error.message}\n`);
              failed.push(...failures.map((f) => ({ object: showRef(f.item), message: f.error.message })));
            }
            const verb = opts.dryRun ? 'would delete' : 'deleted';
            // In delete order, not in the order the parallel requests finished.
            const names = refs.filter((r) => deleted.has(r)).map(showRef);
            if (opts.output === 'text') for (const name of names) io.stdout(`${verb} ${name}\n`);
            if (failed.length > 0) {
              report(names, failed);
              return EXIT.invalid;
            }
            if (opts.dryRun !== 'client')
              await client.delete(STATE_REF, { dryRun: opts.dryRun === 'server' });
            report([...names, showRef(STATE_REF)], []);
            if (opts.output === 'text')
              io.stdout(
                `${opts.dryRun ? 'dry run: would delete' : 'deleted'} ${deleted.size} objects and the state${opts.dryRun === 'client' ? ' (client: no request sent)' : ''}\n`,
              );
            return EXIT.ok;
          }
        },
        { json: opts.output === 'json' },
      ),
    );
}
