import type { Command } from 'commander';
import { nodeReadline } from '../../builtin.ts';
import { mapLimit } from '../../cluster/apply.ts';
import { connect } from '../../cluster/connect.ts';
import { parseState, STATE_REF } from '../../cluster/inventory.ts';
import { acquireLock, holderIdentity } from '../../cluster/lock.ts';
import { isOurs } from '../../cluster/plan.ts';
import { type ObjectRef, showRef } from '../../cluster/types.ts';
import { EXIT, type Io } from '../context.ts';
import { UsageError } from '../io.ts';
import { addClusterFlags, type ClusterFlags, clusterAction } from './apply.ts';

async function confirm(question: string): Promise<boolean> {
  const rl = nodeReadline().createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
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
      .option('--dry-run', 'send the deletes with dryRun=All', false),
  )
    .addHelpText(
      'after',
      `
Examples:
  netpack delete                      # lists what goes, then asks
  netpack delete --dry-run --yes      # what the server would delete, nothing changes

This cuts every pod off the network. Objects without netpack's managed-by label are left alone.
Exit status: 0 deleted (or nothing to delete), 1 failed or declined, 2 usage or the cluster
cannot be talked to (one line on stderr).`,
    )
    .action((opts: ClusterFlags & { yes: boolean; dryRun: boolean }) =>
      clusterAction(io, setExit, async () => {
        const client = await connect(opts, (l) => io.stderr(`${l}\n`));
        try {
          const cm = await client.get(STATE_REF);
          if (!cm) {
            io.stderr('netpack: nothing to delete: no ConfigMap kube-system/netpack-state in this cluster\n');
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
          if (!opts.yes) {
            if (!process.stdin.isTTY) throw new UsageError('delete needs --yes when stdin is not a terminal');
            io.stderr(`${refs.map((r) => `  ${showRef(r)}`).join('\n')}\n`);
            if (
              !(await confirm(
                `Delete these ${refs.length} objects (the pod network of this cluster)? [y/N] `,
              ))
            ) {
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
          let failed = 0;
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
                if ((await client.delete(ref, { dryRun: opts.dryRun })) === 'deleted') deleted.add(ref);
              },
            );
            for (const f of failures) io.stderr(`netpack: failed: ${showRef(f.item)}: ${f.error.message}\n`);
            failed += failures.length;
          }
          const verb = opts.dryRun ? 'would delete' : 'deleted';
          // In delete order, not in the order the parallel requests finished.
          for (const ref of refs) if (deleted.has(ref)) io.stdout(`${verb} ${showRef(ref)}\n`);
          if (failed > 0) return EXIT.invalid;
          await client.delete(STATE_REF, { dryRun: opts.dryRun });
          io.stdout(
            `${opts.dryRun ? 'dry run: would delete' : 'deleted'} ${deleted.size} objects and the state\n`,
          );
          return EXIT.ok;
        }
      }),
    );
}
