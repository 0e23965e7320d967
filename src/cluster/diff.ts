/**
 * Diff: read → decide → the API server's dry runs → report; changes nothing. The plan as apply
 * would make it (`decide.ts`), what the server would refuse among the custom manifests and which
 * updates another field manager would stop (`preflight.ts`).
 */
import type { ClusterConfig } from '../config/types.ts';
import { type Decision, decide } from './decide.ts';
import type { Desired } from './desired.ts';
import type { Failure } from './failure.ts';
import { checkCustomManifests, predictConflicts } from './preflight.ts';
import { readCluster } from './read.ts';
import type { ClusterClient } from './types.ts';

/** The decision on the live cluster, or why there is none (its state cannot be read). */
export type Planned = { decision: Decision } | { stateProblem: string };

/** Read and decide, sending only reads. */
export async function planCluster(
  client: ClusterClient,
  config: ClusterConfig,
  desired: Desired,
  opts: { allowDnsCacheRemoval?: boolean } = {},
): Promise<Planned> {
  const view = await readCluster(client, desired);
  if (view.stateProblem) return { stateProblem: view.stateProblem };
  return { decision: decide(config, desired, view, opts) };
}

export interface DiffResult {
  decision: Decision;
  /** Custom manifests' objects the API server refused in a dry run (conflicts are below). */
  refusedByServer: Failure[];
  /** Planned updates another field manager would stop. */
  conflicts: Failure[];
  /** Something would change, or is refused. */
  differ: boolean;
}

/** What the server says of a decision: nothing asked when the guard refuses already. */
export async function serverVerdict(
  client: ClusterClient,
  config: ClusterConfig,
  decision: Decision,
): Promise<DiffResult> {
  const refused = decision.refusals.length > 0;
  // A conflict found by the check of custom manifests is listed with the others.
  const refusedByServer = refused
    ? []
    : (await checkCustomManifests(client, config, decision, { force: false })).filter((r) => !r.conflict);
  const conflicts = refused ? [] : await predictConflicts(client, decision);
  const changes = decision.plan.changes + decision.secretsToCreate.length + (decision.stateChanges ? 1 : 0);
  return {
    decision,
    refusedByServer,
    conflicts,
    differ: refused || refusedByServer.length > 0 || changes > 0,
  };
}
