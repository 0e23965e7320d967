// Rollout simulation: DaemonSets get one Pod per matching Node and become ready node by node;
// Deployments gain one updated, ready replica per step. Failing nodes get Pods stuck in
// CrashLoopBackOff or ImagePullBackOff with realistic container statuses.
import { createHash } from 'node:crypto';
import { deepEqual } from './fields.ts';
import type { KubeObject, ResourceType } from './resources.ts';
import { clone, type Store } from './store.ts';

export type FailureReason = 'CrashLoopBackOff' | 'ImagePullBackOff';

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec?: { nodeSelector?: Record<string, string>; containers?: { name: string; image?: string }[] };
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function suffix(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 5);
}

export class Rollout {
  private readonly failing = new Map<string, FailureReason>();
  private readonly stuck = new Set<string>();
  private nodeCount = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: Store) {}

  private type(apiVersion: string, kind: string): ResourceType {
    return this.store.registry.byKind(apiVersion, kind)!;
  }

  /** Creates `n` Ready nodes named node-1, node-2, ... with the given extra labels. */
  addNodes(n: number, labels: Record<string, string> = {}): KubeObject[] {
    const out: KubeObject[] = [];
    for (let i = 0; i < n; i++) {
      const name = `node-${++this.nodeCount}`;
      const node: KubeObject = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          uid: this.store.nextUid(),
          creationTimestamp: now(),
          labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels },
        },
        spec: { podCIDR: `10.244.${this.nodeCount}.0/24` },
        status: {
          addresses: [{ type: 'InternalIP', address: `192.0.2.${this.nodeCount}` }],
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: now() }],
        },
      };
      out.push(this.store.commit(this.type('v1', 'Node'), node));
    }
    return out;
  }

  /** Pods on these nodes never become ready; they show `reason` instead. */
  failNodes(names: string[], reason: FailureReason = 'CrashLoopBackOff'): void {
    for (const n of names) this.failing.set(n, reason);
  }

  healNodes(names: string[]): void {
    for (const n of names) this.failing.delete(n);
  }

  /** This Deployment makes no progress until released. */
  holdDeployment(namespace: string, name: string, held = true): void {
    if (held) this.stuck.add(`${namespace}/${name}`);
    else this.stuck.delete(`${namespace}/${name}`);
  }

  /** Advances every DaemonSet by one node and every Deployment by one replica. Returns whether anything changed. */
  step(): boolean {
    let changed = false;
    for (const ds of this.store.list(this.type('apps/v1', 'DaemonSet')))
      changed = this.stepDaemonSet(ds) || changed;
    for (const d of this.store.list(this.type('apps/v1', 'Deployment')))
      changed = this.stepDeployment(d) || changed;
    return changed;
  }

  /** Steps until nothing changes (or maxSteps); returns the number of steps that changed something. */
  settle(maxSteps = 1000): number {
    let n = 0;
    while (n < maxSteps && this.step()) n++;
    return n;
  }

  /** Steps automatically every `intervalMs`. */
  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => this.step(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private writeStatus(
    kind: 'DaemonSet' | 'Deployment',
    obj: KubeObject,
    status: Record<string, unknown>,
  ): boolean {
    if (deepEqual(obj.status, status)) return false;
    const next = clone(obj);
    next.apiVersion = 'apps/v1';
    next.kind = kind;
    next.status = status;
    this.store.commit(this.type('apps/v1', kind), next);
    return true;
  }

  private stepDaemonSet(ds: KubeObject): boolean {
    const podType = this.type('v1', 'Pod');
    const generation = ds.metadata.generation ?? 1;
    const template = (ds.spec as { template?: PodTemplate }).template ?? {};
    const selector = template.spec?.nodeSelector ?? {};
    const nodes = this.store
      .list(this.type('v1', 'Node'))
      .filter((n) => Object.entries(selector).every(([k, v]) => n.metadata.labels?.[k] === v))
      .map((n) => n.metadata.name!);
    const ns = ds.metadata.namespace!;
    const owned = this.store
      .list(podType, ns)
      .filter(
        (p) => (p.metadata.ownerReferences as { uid: string }[] | undefined)?.[0]?.uid === ds.metadata.uid,
      );
    const podOn = new Map(owned.map((p) => [(p.spec as { nodeName: string }).nodeName, p]));
    let changed = false;
    for (const p of owned) {
      const node = (p.spec as { nodeName: string }).nodeName;
      if (!nodes.includes(node)) {
        this.store.remove(podType, ns, p.metadata.name!);
        podOn.delete(node);
        changed = true;
      }
    }
    const stale = (n: string) => {
      const pod = podOn.get(n);
      if (pod?.metadata.labels?.['pod-template-generation'] !== String(generation)) return true;
      return isReady(pod) === this.failing.has(n);
    };
    const next = nodes.find(stale);
    if (next) {
      const pod = this.podFor(ds, template, next, generation);
      const old = podOn.get(next);
      if (old) this.store.remove(podType, ns, old.metadata.name!);
      podOn.set(next, this.store.commit(podType, pod));
      changed = true;
    }
    const pods = nodes.map((n) => podOn.get(n)).filter((p): p is KubeObject => p !== undefined);
    const ready = pods.filter(
      (p) => (p.status as { phase: string }).phase === 'Running' && isReady(p),
    ).length;
    const updated = pods.filter(
      (p) => p.metadata.labels?.['pod-template-generation'] === String(generation),
    ).length;
    const status = {
      currentNumberScheduled: pods.length,
      desiredNumberScheduled: nodes.length,
      numberMisscheduled: 0,
      numberReady: ready,
      numberAvailable: ready,
      ...(nodes.length - ready > 0 ? { numberUnavailable: nodes.length - ready } : {}),
      updatedNumberScheduled: updated,
      observedGeneration: generation,
    };
    return this.writeStatus('DaemonSet', ds, status) || changed;
  }

  private podFor(owner: KubeObject, template: PodTemplate, node: string, generation: number): KubeObject {
    const containers = template.spec?.containers ?? [{ name: 'main', image: 'unknown' }];
    const name = `${owner.metadata.name}-${suffix(`${owner.metadata.uid}/${node}`)}`;
    const failure = this.failing.get(node);
    const startedAt = now();
    const containerStatuses = containers.map((c) => {
      const base = { name: c.name, image: c.image ?? '', imageID: '', ready: !failure, started: !failure };
      if (failure === 'ImagePullBackOff') {
        return {
          ...base,
          restartCount: 0,
          state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } },
        };
      }
      if (failure === 'CrashLoopBackOff') {
        return {
          ...base,
          restartCount: 5,
          state: {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off 5m0s restarting failed container=${c.name} pod=${name}`,
            },
          },
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt, finishedAt: startedAt } },
        };
      }
      return {
        ...base,
        imageID: `${c.image}@sha256:${suffix(c.image ?? '')}`,
        restartCount: 0,
        state: { running: { startedAt } },
      };
    });
    const ready = failure ? 'False' : 'True';
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: owner.metadata.namespace,
        uid: this.store.nextUid(),
        creationTimestamp: startedAt,
        labels: { ...template.metadata?.labels, 'pod-template-generation': String(generation) },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'DaemonSet',
            name: owner.metadata.name,
            uid: owner.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: { ...clone(template.spec ?? {}), nodeName: node },
      status: {
        phase: failure === 'ImagePullBackOff' ? 'Pending' : 'Running',
        conditions: [
          { type: 'Ready', status: ready, ...(failure ? { reason: 'ContainersNotReady' } : {}) },
          { type: 'ContainersReady', status: ready },
        ],
        containerStatuses,
        startTime: startedAt,
      },
    };
  }

  private stepDeployment(d: KubeObject): boolean {
    const generation = d.metadata.generation ?? 1;
    const replicas = (d.spec as { replicas?: number }).replicas ?? 1;
    const prev = (d.status ?? {}) as { observedGeneration?: number; updatedReplicas?: number };
    const held = this.stuck.has(`${d.metadata.namespace}/${d.metadata.name}`);
    let updated = prev.observedGeneration === generation ? (prev.updatedReplicas ?? 0) : 0;
    if (!held && updated < replicas) updated++;
    updated = Math.min(updated, replicas);
    const done = updated === replicas;
    const status = {
      observedGeneration: generation,
      replicas,
      updatedReplicas: updated,
      readyReplicas: updated,
      availableReplicas: updated,
      ...(replicas - updated > 0 ? { unavailableReplicas: replicas - updated } : {}),
      conditions: [
        {
          type: 'Available',
          status: done ? 'True' : 'False',
          reason: done ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: done ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
        },
      ],
    };
    return this.writeStatus('Deployment', d, status);
  }
}

function isReady(pod: KubeObject): boolean {
  const conditions = (pod.status as { conditions?: { type: string; status: string }[] }).conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}
