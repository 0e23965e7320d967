/**
 * Delete: read → decide → act → report. Read the stored inventory (nothing else is ever
 * deleted), ask (the caller's `confirm`), take the lock, then remove each object that still
 * carries netpack's label, in `deleteRank` order (render/order.ts: namespaced, cluster-scoped,
 * CRDs last), and the state last, only when every delete went.
 */
import { deleteRank } from '../render/order.ts';
import { type Failure, failure } from './failure.ts';
import { parseState, STATE_REF } from './inventory.ts';
import { type Lock, writesWhileHeld } from './lock.ts';
import { mapLimit } from './map-limit.ts';
import { isOurs } from './plan.ts';
import { type ClusterClient, type ObjectRef, showRef } from './types.ts';

/** Parallel deletes per rank. */
const DELETE_CONCURRENCY = 16;

export interface DeleteOptions {
  /** server: deletes sent with dryRun=All; client: nothing sent but reads. */
  dryRun?: 'server' | 'client';
  /** Asked with what would go, before the lock and any delete; false stops (declined). */
  confirm?: (refs: ObjectRef[]) => Promise<boolean>;
  /** Takes the cluster's lock (`lock.ts`); not for a dry run. */
  lock: () => Promise<Lock>;
  /** Objects left alone and failed deletes, as they happen. */
  log: (line: string) => void;
}

export type DeleteReport =
  | { result: 'nothing' }
  | { result: 'unreadable'; reason: string }
  | { result: 'declined' }
  | {
      result: 'done';
      /** Deleted (or, in a dry run, that would be), in delete order. */
      deleted: ObjectRef[];
      failures: Failure[];
      /** The state ConfigMap was deleted too (only when nothing failed). */
      stateDeleted: boolean;
    };

/** The deletes, rank by rank; objects gone or not netpack's are left out. */
async function deleteAll(
  client: ClusterClient,
  refs: ObjectRef[],
  opts: DeleteOptions,
): Promise<{ deleted: ObjectRef[]; failures: Failure[] }> {
  const deleted = new Set<ObjectRef>();
  const failures: Failure[] = [];
  for (const rank of [0, 1, 2]) {
    const failed = await mapLimit(
      refs.filter((r) => deleteRank(r) === rank),
      DELETE_CONCURRENCY,
      async (ref) => {
        const live = await client.get(ref);
        if (!live) return;
        if (!isOurs(live)) {
          opts.log(`left alone: ${showRef(ref)} (no managed-by=netpack label)`);
          return;
        }
        if (opts.dryRun === 'client') deleted.add(ref);
        else if ((await client.delete(ref, { dryRun: opts.dryRun === 'server' })) === 'deleted')
          deleted.add(ref);
      },
    );
    for (const f of failed) opts.log(`failed: ${showRef(f.item)}: ${f.error.message}`);
    failures.push(...failed.map((f) => failure(f.item, f.error)));
  }
  // In delete order, not in the order the parallel requests finished.
  return { deleted: refs.filter((r) => deleted.has(r)), failures };
}

/** The whole delete. Deletes nothing without a readable state, or when `confirm` says no. */
export async function deleteCluster(client: ClusterClient, opts: DeleteOptions): Promise<DeleteReport> {
  const cm = await client.get(STATE_REF);
  if (!cm) return { result: 'nothing' };
  const parsed = parseState(cm);
  if (!parsed.ok) return { result: 'unreadable', reason: parsed.reason };
  const refs = [...parsed.state.inventory].sort((a, b) => deleteRank(a) - deleteRank(b));
  if (opts.confirm && !(await opts.confirm(refs))) return { result: 'declined' };
  const lock = opts.dryRun ? undefined : await opts.lock();
  // Once the lease may be someone else's, no further delete is sent (LockLost).
  const writer = lock ? writesWhileHeld(client, lock) : client;
  try {
    const { deleted, failures } = await deleteAll(writer, refs, opts);
    if (failures.length > 0) return { result: 'done', deleted, failures, stateDeleted: false };
    if (opts.dryRun !== 'client') await writer.delete(STATE_REF, { dryRun: opts.dryRun === 'server' });
    return { result: 'done', deleted, failures, stateDeleted: true };
  } finally {
    await lock?.release().catch(() => {});
  }
}
