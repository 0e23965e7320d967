// Objects someone else put in the cluster, made the way they make them: `kubectl apply`
// (client-side: a POST with the last-applied-configuration annotation, field manager
// kubectl-client-side-apply, an Update entry in managedFields), as Pharos installed Weave.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { FakeApiServer } from '../fake-apiserver/index.ts';
import type { KubeObject } from '../fake-apiserver/resources.ts';
import { repoRoot } from './helpers.ts';

export const UPSTREAM_WEAVE = `${repoRoot}../shared/upstream/weave-v2.8.1/weave-daemonset-k8s-1.11.yaml`;

/** Creates `obj` as `kubectl apply` does for an object that does not exist yet. */
export async function kubectlApply(server: FakeApiServer, obj: KubeObject): Promise<void> {
  const rt = server.store.registry.byKind(obj.apiVersion!, obj.kind!);
  assert.ok(rt, `${obj.kind} is not served`);
  const prefix = rt.group ? `/apis/${rt.group}/${rt.version}` : `/api/${rt.version}`;
  const ns = rt.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
  const body = structuredClone(obj);
  body.metadata.annotations = {
    ...body.metadata.annotations,
    'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(obj)}\n`,
  };
  const res = await fetch(`${server.url}${prefix}${ns}/${rt.plural}?fieldManager=kubectl-client-side-apply`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.text());
}

/** The upstream Weave Net 2.8.1 manifest's objects. */
export function upstreamWeave(): KubeObject[] {
  return (parse(readFileSync(UPSTREAM_WEAVE, 'utf8')) as { items: KubeObject[] }).items;
}

type Container = { name: string; image?: string; env?: unknown[]; args?: string[] };

/**
 * Weave as Pharos ran it: the upstream manifest with the pod range and password set, the router
 * told `--no-discovery`, Pharos' peering side-car beside it, and the Secret `weave-passwd`.
 */
export async function installPharosWeave(
  server: FakeApiServer,
  podCidr: string,
  password: string,
): Promise<void> {
  await kubectlApply(server, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'weave-passwd', namespace: 'kube-system' },
    type: 'Opaque',
    data: { 'weave-passwd': Buffer.from(password).toString('base64') },
  });
  for (const obj of upstreamWeave()) {
    if (obj.kind === 'DaemonSet') {
      const pod = (obj.spec as { template: { spec: { containers: Container[] } } }).template.spec;
      const weave = pod.containers.find((c) => c.name === 'weave')!;
      weave.env = [
        ...(weave.env ?? []),
        { name: 'IPALLOC_RANGE', value: podCidr },
        { name: 'EXTRA_ARGS', value: '--no-discovery' },
        {
          name: 'WEAVE_PASSWORD',
          valueFrom: { secretKeyRef: { name: 'weave-passwd', key: 'weave-passwd' } },
        },
      ];
      pod.containers.push({
        name: 'pharos-weave-peers',
        image: 'docker.io/kontena/pharos-kubelet-proxy:0.3.7',
      });
    }
    await kubectlApply(server, obj);
  }
}

/** A DaemonSet of another network, by name and image. */
export function daemonSet(namespace: string, name: string, image: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace, labels: { 'k8s-app': name } },
    spec: {
      selector: { matchLabels: { 'k8s-app': name } },
      template: {
        metadata: { labels: { 'k8s-app': name } },
        spec: { containers: [{ name: 'agent', image }] },
      },
    },
  };
}
