import type { Command } from 'commander';
import { checkCustomManifests, decide, predictConflicts, readCluster } from '../../cluster/apply.ts';
import { connect } from '../../cluster/connect.ts';
import { formatPlan, formatRefusals, formatStaleSecrets } from '../../cluster/report.ts';
import { EXIT, type Io } from '../context.ts';
import { addClusterFlags, type ClusterFlags, clusterAction, loadDesired } from './apply.ts';

export function registerDiff(program: Command, io: Io, setExit: (code: number) => void): void {
  addClusterFlags(
    program
      .command('diff')
      .description(
        'what apply would create, change (field by field) and prune, and which changes it refuses; changes nothing',
      )
      .option('-f, --file <path>', 'cluster file (default ./cluster.yml, else the built-in default)')
      .option(
        '--allow-dns-cache-removal',
        'show the plan as apply --allow-dns-cache-removal would run it (node_local_dns_cache turned off where it runs)',
        false,
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  netpack diff -f cluster.yml
  netpack diff -f cluster.yml && echo "in sync"

Exit status: 0 nothing would change, 1 something would change or is refused (or the config is
invalid), 2 usage or the cluster cannot be talked to (one line on stderr).`,
    )
    .action((opts: ClusterFlags & { allowDnsCacheRemoval: boolean }) =>
      clusterAction(io, setExit, async () => {
        const ready = loadDesired(opts.file, io);
        if (!ready) return EXIT.invalid;
        const client = await connect(opts, (l) => io.stderr(`${l}\n`));
        try {
          const view = await readCluster(client, ready.desired);
          if (view.stateProblem) {
            io.stderr(
              `netpack: ${view.stateProblem}; fix or delete it (netpack apply then rebuilds it from the live cluster)\n`,
            );
            return EXIT.invalid;
          }
          const d = decide(ready.config, ready.desired, view, {
            allowDnsCacheRemoval: opts.allowDnsCacheRemoval,
          });
          for (const line of formatRefusals(d.refusals)) io.stdout(`! ${line}\n`);
          for (const line of formatPlan(d.plan, d.secretsToCreate, d.stateChanges)) io.stdout(`${line}\n`);
          for (const line of formatStaleSecrets(d.secretsStale)) io.stdout(`! ${line}\n`);
          for (const line of d.noEffect) io.stdout(`! warning: ${line}\n`);
          // Custom manifests: what the API server would refuse (a dry run, which changes nothing).
          const refused =
            d.refusals.length > 0
              ? []
              : // A conflict found there is listed below, with the others.
                (await checkCustomManifests(client, ready.config, d, { force: false })).filter(
                  (r) => !r.conflict,
                );
          for (const r of refused) io.stdout(`! refused by the API server: ${r.ref}: ${r.message}\n`);
          const conflicts = d.refusals.length > 0 ? [] : await predictConflicts(client, d);
          for (const c of conflicts)
            io.stdout(`! conflict: ${c.ref}: ${c.message}; apply needs --force to take the fields back\n`);
          const changes = d.plan.changes + d.secretsToCreate.length + (d.stateChanges ? 1 : 0);
          return d.refusals.length > 0 || refused.length > 0 || changes > 0 ? EXIT.invalid : EXIT.ok;
        } finally {
          client.close();
        }
      }),
    );
}
