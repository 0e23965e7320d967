/**
 * One apply or delete at a time per cluster: a `coordination.k8s.io/v1` Lease
 * `kube-system/netpack-lock`, held while the command writes and renewed while it runs. Taking
 * it is create-only (POST; 409 means someone holds it); a lease whose holder stopped renewing
 * (or, on this machine, whose holder process is gone) is taken over with a PUT guarded by the
 * resourceVersion read, so of two that race for it exactly one wins. Hand-written (client-node's leader election is built for long-running
 * controllers and would pull its informer machinery into every CLI start).
 */
import { hostname, userInfo } from 'node:os';
import { COMPONENT_LABEL, MANAGED_BY } from '../render/types.ts';
import { type ClusterClient, ClusterError, type KubeObject, type ObjectRef } from './types.ts';

export const LOCK_REF: ObjectRef = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  namespace: 'kube-system',
  name: 'netpack-lock',
};

/** How long a lease lasts without renewal: a holder that died frees the cluster within this. */
export const LEASE_SECONDS = 45;

/** Another apply or delete holds the lock. */
export class LockHeldError extends ClusterError {
  constructor(
    readonly holder: string,
    readonly since: string,
  ) {
    super(
      `another netpack run holds the lock (Lease ${LOCK_REF.namespace}/${LOCK_REF.name}): ${holder}, since ${since}; try again when it is done (a holder that died frees it within ${LEASE_SECONDS}s)`,
      'LockHeld',
    );
    this.name = 'LockHeldError';
  }
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** The Lease's MicroTime format: RFC 3339 with microseconds. */
const microTime = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** `user@host/pid command`: who holds the lock, for the message the next run prints. */
export function holderIdentity(command: string): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers): the pid and host still say who.
  }
  return `${user}@${hostname()}/${process.pid} ${command}`;
}

function leaseObject(spec: LeaseSpec, resourceVersion?: string): KubeObject {
  return {
    apiVersion: LOCK_REF.apiVersion,
    kind: LOCK_REF.kind,
    metadata: {
      name: LOCK_REF.name,
      namespace: LOCK_REF.namespace,
      // Not managed-by: the lease is no object of the network (never in the inventory, never pruned).
      labels: { 'app.kubernetes.io/part-of': MANAGED_BY, [COMPONENT_LABEL]: 'lock' },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    spec: { ...spec },
  };
}

/** Whether a lease's holder stopped renewing it (or it names no holder). */
export function expired(lease: KubeObject, now: Date): boolean {
  const spec = (lease.spec ?? {}) as LeaseSpec;
  if (!spec.holderIdentity) return true;
  const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '');
  if (!Number.isFinite(renewed)) return true;
  return renewed + (spec.leaseDurationSeconds ?? LEASE_SECONDS) * 1000 < now.getTime();
}

/**
 * Whether the holder was a process on this machine that is gone (killed, crashed): its lease
 * need not run out before the next run here goes on. Holders elsewhere are judged by expiry.
 */
export function holderGone(lease: KubeObject): boolean {
  const id = /^[^@]*@([^/]+)\/(\d+) /.exec(((lease.spec ?? {}) as LeaseSpec).holderIdentity ?? '');
  if (!id || id[1] !== hostname()) return false;
  const pid = Number(id[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * The lease stopped being this run's while it wrote: a renewal was refused (someone took it over)
 * or none was acknowledged for a whole lease duration (someone may have). Every write after that
 * is refused before it is sent; what was written stays on record in the write-ahead state.
 */
export class LockLostError extends ClusterError {
  constructor() {
    super(
      `the lock (Lease ${LOCK_REF.namespace}/${LOCK_REF.name}) stopped being this run's while it wrote: nothing more was sent; run netpack diff, then apply again when no other run holds it`,
      'LockLost',
    );
    this.name = 'LockLostError';
  }
}

export interface Lock {
  /**
   * Whether the lease may have stopped being this run's: a renewal was refused, or none was
   * acknowledged for a whole lease duration. Writes stop then (`writesWhileHeld`).
   */
  readonly lost: boolean;
  /**
   * Whether the lease was taken over from a holder that stopped renewing it or is gone, rather
   * than created where there was none: a run that read the cluster while taking it reads again.
   */
  readonly takenOver: boolean;
  /**
   * Stops renewing and deletes the lease if this run still holds it: read first, so that a lease
   * someone else holds now is left alone. With `quick`, a single DELETE when the lease was
   * acknowledged as this run's less than half its duration ago and no renewal was refused (nobody
   * can have taken it over since: it has not expired and this process is alive), for a release
   * that goes alongside the last write. Once; later calls return the first one's promise.
   */
  release(opts?: { quick?: boolean }): Promise<void>;
}

export interface LockOptions {
  /** Renewal period; a third of the lease duration by default. */
  renewEveryMs?: number;
  log?: (line: string) => void;
}

function heldBy(lease: KubeObject): LockHeldError {
  const spec = (lease.spec ?? {}) as LeaseSpec;
  return new LockHeldError(spec.holderIdentity ?? 'unknown', spec.acquireTime ?? spec.renewTime ?? 'unknown');
}

/** Takes the lock or throws `LockHeldError` at once; never waits for another holder. */
export async function acquireLock(
  client: ClusterClient,
  identity: string,
  opts: LockOptions = {},
): Promise<Lock> {
  const now = microTime(new Date());
  const spec: LeaseSpec = {
    holderIdentity: identity,
    leaseDurationSeconds: LEASE_SECONDS,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: 0,
  };
  let held: KubeObject | undefined;
  let takenOver = false;
  for (let attempt = 0; attempt < 3 && !held; attempt++) {
    const created = await client.create(leaseObject(spec), { dryRun: false });
    if (created !== 'exists') {
      held = created;
      break;
    }
    const live = await client.get(LOCK_REF);
    if (!live) continue; // released between the two calls: try to create it again
    if (!expired(live, new Date()) && !holderGone(live)) throw heldBy(live);
    const was = (live.spec ?? {}) as LeaseSpec;
    opts.log?.(`lock: taking over the expired lease of ${was.holderIdentity ?? 'nobody'}`);
    const taken = await client.replace(
      leaseObject(
        { ...spec, leaseTransitions: (was.leaseTransitions ?? 0) + 1 },
        live.metadata.resourceVersion as string | undefined,
      ),
    );
    if (taken === 'conflict') {
      const winner = await client.get(LOCK_REF);
      if (winner) throw heldBy(winner);
      continue;
    }
    held = taken;
    takenOver = true;
  }
  if (!held) throw new ClusterError(`could not take the lock (Lease ${LOCK_REF.namespace}/${LOCK_REF.name})`);
  return keepRenewed(client, held, spec, takenOver, opts);
}

/** How long after its last acknowledged write of the lease a quick release is a single DELETE. */
const RELEASE_BLIND_MS = (LEASE_SECONDS * 1000) / 2;

function keepRenewed(
  client: ClusterClient,
  held: KubeObject,
  spec: LeaseSpec,
  takenOver: boolean,
  opts: LockOptions,
): Lock {
  let current = held;
  let ackedAt = Date.now();
  let lost = false;
  let released: Promise<void> | undefined;
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      renewing = (async () => {
        const next = await client
          .replace(
            leaseObject(
              { ...spec, renewTime: microTime(new Date()) },
              current.metadata.resourceVersion as string | undefined,
            ),
          )
          .catch((e: Error) => {
            opts.log?.(`lock: renewal failed: ${e.message}`);
            return undefined;
          });
        if (next === 'conflict') {
          lost = true;
          opts.log?.('lock: the lease was taken over; another run may be writing');
        } else if (next) {
          current = next;
          ackedAt = Date.now();
        }
      })();
    },
    opts.renewEveryMs ?? (LEASE_SECONDS * 1000) / 3,
  );
  timer.unref();
  const release = async (quick: boolean) => {
    clearInterval(timer);
    await renewing;
    if (quick && !lost && Date.now() - ackedAt < RELEASE_BLIND_MS) {
      await client.delete(LOCK_REF, { dryRun: false });
      return;
    }
    const live = await client.get(LOCK_REF);
    if (live && (live.spec as LeaseSpec | undefined)?.holderIdentity === spec.holderIdentity)
      await client.delete(LOCK_REF, { dryRun: false });
  };
  return {
    takenOver,
    get lost() {
      return lost || Date.now() - ackedAt >= LEASE_SECONDS * 1000;
    },
    release(how) {
      released ??= release(how?.quick === true);
      return released;
    },
  };
}

/**
 * The client with its writes gated on the lock: each write verb refuses (`LockLostError`, code
 * `LockLost`) once `lock.lost`, before anything is sent. Reads pass through. The lock's own
 * requests use the client it was taken with, not this one.
 */
export function writesWhileHeld(client: ClusterClient, lock: Pick<Lock, 'lost'>): ClusterClient {
  const writes = new Set<PropertyKey>(['apply', 'create', 'replace', 'patchJson', 'delete']);
  return new Proxy(client, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!writes.has(name)) return method.bind(target);
      return (...args: unknown[]) =>
        lock.lost ? Promise.reject(new LockLostError()) : method.apply(target, args);
    },
  });
}
