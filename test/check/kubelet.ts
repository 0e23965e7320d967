// The DaemonSet controller and kubelet for `netpack check` tests: when a check's DaemonSet
// appears in the fake API server, it makes one Pod per selected node, asks the test to start
// the probe for it (a process in a network namespace, or a server on a loopback address), and
// reports the Pod Running and Ready with the IP the probe listens on. When the Pods go (the
// namespace is deleted), it asks the test to stop them.
import type { FakeApiServer, KubeObject } from '../fake-apiserver/index.ts';

export interface ProbeSpec {
  node: string;
  /** The DaemonSet: netpack-check or netpack-check-host. */
  daemonSet: string;
  hostNetwork: boolean;
  port: number;
  pod: string;
}

export interface KubeletOptions {
  /**
   * Starts the probe and resolves to the IP it listens on; `undefined` leaves the Pod Pending
   * (e.g. an image that cannot be pulled).
   */
  start(spec: ProbeSpec): Promise<string | undefined>;
  stop(spec: ProbeSpec): Promise<void> | void;
}

export interface Kubelet {
  /** Pods that are running now, by name. */
  running(): string[];
  /** Resolves when every started probe has been stopped again. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function fakeKubelet(server: FakeApiServer, opts: KubeletOptions): Kubelet {
  const store = server.store;
  const podType = store.registry.byKind('v1', 'Pod')!;
  const live = new Map<string, ProbeSpec>();
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const unsubscribe = store.subscribe((e) => {
    if (e.object.metadata.namespace !== 'netpack-check') return;
    if (e.rt.kind === 'DaemonSet' && e.type === 'ADDED') queueMicrotask(() => schedule(e.object));
    if (e.rt.kind === 'Pod' && e.type === 'DELETED') {
      const spec = live.get(e.object.metadata.name!);
      if (spec) {
        live.delete(spec.pod);
        track(Promise.resolve(opts.stop(spec)));
      }
    }
  });

  function schedule(ds: KubeObject): void {
    const template = (
      ds.spec as { template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } }
    ).template;
    const wanted = (
      template.spec.affinity as
        | {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: { matchFields: { values: string[] }[] }[];
              };
            };
          }
        | undefined
    )?.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]?.matchFields[0]
      ?.values;
    const hostNetwork = template.spec.hostNetwork === true;
    const container = (template.spec.containers as { ports: { containerPort: number }[] }[])[0]!;
    for (const node of store.all('Node')) {
      const name = node.metadata.name!;
      if (wanted && !wanted.includes(name)) continue;
      const spec: ProbeSpec = {
        node: name,
        daemonSet: ds.metadata.name!,
        hostNetwork,
        port: container.ports[0]!.containerPort,
        pod: `${ds.metadata.name!}-${name}`,
      };
      const pod: KubeObject = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: spec.pod,
          namespace: 'netpack-check',
          uid: store.nextUid(),
          labels: template.metadata.labels,
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'DaemonSet',
              name: ds.metadata.name,
              uid: ds.metadata.uid,
              controller: true,
            },
          ],
        },
        spec: { ...template.spec, nodeName: name },
        status: { phase: 'Pending' },
      };
      store.commit(podType, pod);
      live.set(spec.pod, spec);
      track(
        opts.start(spec).then((ip) => {
          const current = store.get(podType, 'netpack-check', spec.pod);
          if (!ip || !current || !live.has(spec.pod)) return;
          current.status = {
            phase: 'Running',
            podIP: ip,
            hostIP: ip,
            conditions: [{ type: 'Ready', status: 'True' }],
          };
          store.commit(podType, current);
        }),
      );
    }
  }

  return {
    running: () => [...live.keys()].sort(),
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async close() {
      unsubscribe();
      for (const spec of live.values()) track(Promise.resolve(opts.stop(spec)));
      live.clear();
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
