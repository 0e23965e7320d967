/**
 * Dry runs before anything is written (apply) or instead of writing (diff): what the API server
 * would refuse among the custom manifests, and which updates another field manager would stop.
 * Sends only requests with dryRun=All.
 */
import type { ClusterConfig } from '../config/types.ts';
import { COMPONENT_LABEL } from '../render/types.ts';
import { type Decision, type Write, writesOf } from './decide.ts';
import { type Failure, failure } from './failure.ts';
import { mapLimit } from './map-limit.ts';
import { ApiError, type ClusterClient } from './types.ts';

/**
 * Parallel writes per phase: enough that a render's CRDs (Calico has 23) and its built-ins each
 * leave in one wave, few enough not to trip API priority and fairness.
 */
export const DEFAULT_CONCURRENCY = 32;

/**
 * Custom manifests are the operator's own, with no schema netpack could check them against
 * offline. Before anything is written (and in diff) the API server checks every one it can: a
 * dry run, strict about fields, so a typo refuses the whole apply instead of stopping it half-way.
 * Not checkable yet: objects whose CRD or namespace this same apply creates. Other providers'
 * objects are netpack's own render, checked against the Kubernetes schemas by its tests.
 */
export async function checkCustomManifests(
  client: ClusterClient,
  config: ClusterConfig,
  decision: Decision,
  opts: { limit?: number; force: boolean },
): Promise<Failure[]> {
  if (config.network.provider !== 'custom') return [];
  const toWrite = writesOf(decision.plan);
  const newNamespaces = new Set(
    toWrite.filter((i) => i.action === 'create' && i.desired.kind === 'Namespace').map((i) => i.ref.name),
  );
  const checkable: Write[] = [];
  for (const item of toWrite) {
    if (item.desired.metadata.labels?.[COMPONENT_LABEL] !== 'custom') continue;
    const ns = item.desired.metadata.namespace;
    if (ns && newNamespaces.has(ns)) continue;
    if (await client.resource(item.desired.apiVersion, item.desired.kind)) checkable.push(item);
  }
  const refused = await mapLimit(checkable, opts.limit ?? DEFAULT_CONCURRENCY, (i) =>
    client.apply(i.desired, { dryRun: true, force: opts.force }),
  );
  return refused.map((f) => failure(f.item.ref, f.error));
}

/**
 * For diff: the planned updates another field manager would stop (server-side apply conflicts),
 * found with a dry run of each update. Creates cannot conflict, and nothing is changed.
 */
export async function predictConflicts(
  client: ClusterClient,
  decision: Decision,
  limit = DEFAULT_CONCURRENCY,
): Promise<Failure[]> {
  const updates = writesOf(decision.plan).filter((i) => i.action === 'update');
  const conflicts: Failure[] = [];
  await mapLimit(updates, limit, async (i) => {
    try {
      await client.apply(i.desired, { dryRun: true, force: false });
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.reason === 'Conflict')
        conflicts.push(failure(i.ref, e));
    }
  });
  return conflicts.sort((a, b) => a.ref.localeCompare(b.ref));
}
