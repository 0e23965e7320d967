/**
 * Apply: read → decide → act → report. Read what is there (`read.ts`), refuse what would break
 * the cluster and plan the rest (`decide.ts`), check the custom manifests with a dry run
 * (`preflight.ts`), then write only what differs (`execute.ts`) under the lock (`lock.ts`).
 *
 * The lock and the reads. A run that writes nothing (a re-apply with nothing to change, a refused
 * one, a dry run) never takes the lock: it sends no write at all, and its first read is its
 * only one. A run that will write takes the lock and reads again in the same wave: the Lease
 * create and the second read leave together, and the decision is made again on that read
 * (another run may have applied meanwhile: the guard then refuses, as for a run that came later).
 * Why that read can be trusted although the server may serve some of it before the create:
 * - Writers write only while they hold the Lease. When our create succeeds, nobody held it when
 *   the create was served. A run that held it before had every object write acknowledged before
 *   its last wave (its state write, the release alongside); a read of ours served after those
 *   writes sees them, with the state before or after that last write: what that run, interrupted
 *   before its state write, would have left, which its write-ahead record makes safe to build on.
 * - A read of ours served earlier still, before that run's last object writes, needs a server
 *   that holds our create back for a round trip of the other run while it serves the read sent
 *   with it. If it misses only objects, it has that run's write-ahead record or final state (the
 *   state is read with the rest): the guard judges that run's config, as for a run that came
 *   later. To miss the record too, the server must hold our create back for that run's whole
 *   write phase (three round trips or more). That window stays open: closing it needs a
 *   write-ahead record conditional on the state read (create where there was none, else at the
 *   resourceVersion read), which server-side apply, the verb every write here uses, cannot say
 *   for an object that does not exist yet; reading only after the create is acknowledged costs
 *   a wave on every apply that writes.
 * - When the Lease has to be taken over (its holder stopped renewing it, or is a process on this
 *   machine that is gone), that holder may have stopped anywhere: the cluster is read once more
 *   after the takeover is acknowledged.
 * - The reads under the lock leave out what no netpack run writes (nodes' podCIDRs, the ClusterIPs
 *   of Services kubernetes and kube-dns): they come from the first read, so the second costs one
 *   round trip however many pages of nodes the cluster has.
 * The release goes alongside the state write, the last wave.
 *
 * First apply of Calico: 6 request waves (reads; the lock with the reads again; the write-ahead
 * record; CRDs and built-ins; custom resources; the state with the release). A re-apply that
 * changes nothing: the reads only.
 */
import type { ClusterConfig } from '../config/types.ts';
import { adoptionsOf, type Decision, decide, writesAnything } from './decide.ts';
import type { Desired } from './desired.ts';
import { execute, type Outcome } from './execute.ts';
import type { Failure } from './failure.ts';
import { type Lock, writesWhileHeld } from './lock.ts';
import { checkCustomManifests, DEFAULT_CONCURRENCY } from './preflight.ts';
import { type ClusterView, readCluster } from './read.ts';
import type { ClusterClient } from './types.ts';

// Named here by callers of before the split (snapshot.ts, tests) and by the apply command.
export { type Decision, decide } from './decide.ts';
export { DEFAULT_CONCURRENCY } from './preflight.ts';
export { OUR_SELECTOR } from './read.ts';

export interface ApplyOptions {
  dryRun: boolean;
  /** SSA force: take over fields other managers own. Refusals are never bypassed. */
  force: boolean;
  /** The operator confirmed removing a running node-local DNS cache (see dns-cache-guard.ts). */
  allowDnsCacheRemoval?: boolean;
  concurrency?: number;
  /** Deadline (ms since epoch) for CRDs to become Established. */
  deadline: number;
  log: (line: string) => void;
  /**
   * Takes the cluster's lock (`lock.ts`); throws when another run holds it. Taken only once the
   * plan says something will be written, together with a second read (see above).
   */
  lock?: () => Promise<Lock>;
  /** Take over objects of the render that exist without netpack's label (`adopt.ts`). */
  adopt?: boolean;
}

export interface ApplyReport extends Outcome {
  decision: Decision | undefined;
  /** Stopped before writing: refusals or an unreadable state. */
  stopped?: string;
  unchanged: number;
  /** Writes that failed (or, when `stopped`, that the dry run of custom manifests refused). */
  failures: Failure[];
}

function emptyReport(): ApplyReport {
  return {
    decision: undefined,
    created: 0,
    updated: 0,
    adopted: 0,
    unchanged: 0,
    pruned: 0,
    secretsCreated: [],
    failures: [],
    stored: false,
    crdsPending: [],
  };
}

/** Decides on a view; sets `stopped` on the report when the run must not write. */
function judge(
  config: ClusterConfig,
  desired: Desired,
  view: ClusterView,
  opts: ApplyOptions,
  report: ApplyReport,
): Decision | undefined {
  if (view.stateProblem) {
    report.stopped = `${view.stateProblem}; fix or delete it (netpack then rebuilds it from the live cluster)`;
    return undefined;
  }
  const decision = decide(config, desired, view, { allowDnsCacheRemoval: opts.allowDnsCacheRemoval });
  report.decision = decision;
  if (decision.refusals.length > 0) {
    report.stopped = 'refused changes (see above); nothing was sent';
    return undefined;
  }
  const adoptions = adoptionsOf(decision.plan);
  if (adoptions.length > 0 && !opts.adopt) {
    report.stopped = `${adoptions.length} objects netpack would create exist without its label (made by kubectl, Pharos or another tool): ${adoptions.join(', ')}; nothing was sent. Check them with netpack diff, then run apply --adopt to take them over`;
    return undefined;
  }
  report.unchanged = decision.plan.items.filter((i) => i.action === 'unchanged').length;
  return decision;
}

/**
 * The lock and the read under it, in one wave (see above); a third read after a takeover. The
 * lock's refusal (`LockHeldError`) is thrown; a failed read releases the lock it took.
 */
async function lockAndRead(
  client: ClusterClient,
  desired: Desired,
  lock: () => Promise<Lock>,
  first: ClusterView,
): Promise<{ lock: Lock; view: ClusterView }> {
  // Nodes and the Services' ClusterIPs are not netpack's to write: taken from the first read.
  const stable = { nodes: first.facts.nodes, serviceIps: first.facts.serviceIps };
  const [taken, read] = await Promise.allSettled([lock(), readCluster(client, desired, stable)]);
  if (taken.status === 'rejected') throw taken.reason;
  try {
    if (read.status === 'rejected') throw read.reason;
    return {
      lock: taken.value,
      view: taken.value.takenOver ? await readCluster(client, desired, stable) : read.value,
    };
  } catch (e) {
    await taken.value.release().catch(() => {});
    throw e;
  }
}

/** The whole apply. Writes nothing when the guard refuses or the state cannot be read. */
export async function applyCluster(
  client: ClusterClient,
  config: ClusterConfig,
  desired: Desired,
  opts: ApplyOptions,
): Promise<ApplyReport> {
  const report = emptyReport();
  const first = await readCluster(client, desired);
  let decision = judge(config, desired, first, opts, report);
  if (!decision) return report;
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  if (!opts.dryRun) {
    const refused = await checkCustomManifests(client, config, decision, {
      limit: concurrency,
      force: opts.force,
    });
    if (refused.length > 0) {
      report.failures.push(...refused);
      report.stopped = `the API server refused ${refused.length} of the custom manifests' objects in a dry run; nothing was written`;
      return report;
    }
  }
  let view = first;
  let lock: Lock | undefined;
  if (opts.lock && !opts.dryRun && writesAnything(decision)) {
    ({ lock, view } = await lockAndRead(client, desired, opts.lock, first));
  }
  let released: Promise<void> | undefined;
  const release = () => {
    released ??= lock
      ?.release({ quick: true })
      .catch((e: Error) => opts.log(`lock: not released: ${e.message}`));
    return released ?? Promise.resolve();
  };
  try {
    if (lock) {
      decision = judge(config, desired, view, opts, report);
      if (!decision) return report;
    }
    // Once the lease may be someone else's, no further write is sent (LockLost).
    const writer = lock ? writesWhileHeld(client, lock) : client;
    const outcome = await execute(writer, desired, view, decision, {
      dryRun: opts.dryRun,
      force: opts.force,
      concurrency,
      deadline: opts.deadline,
      log: opts.log,
      alongsideState: release,
    });
    return { ...report, ...outcome, failures: [...report.failures, ...outcome.failures] };
  } finally {
    await release();
  }
}
