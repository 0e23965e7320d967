/**
 * The multi-cluster routes DaemonSet (`weave-remote-routes`) against the Kubernetes OpenAPI
 * schema (kubernetes-models) plus the unknown-field walk of test/support/k8s-schema.ts: as the
 * provider builds it, and as `render` ships it (labels added, image rewritten for a mirror).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultClusterConfig } from '../../src/config/resolve.ts';
import { REMOTE_ROUTES_NAME, remoteRoutesDaemonSet } from '../../src/providers/weave/remote-subnets.ts';
import { renderCluster } from '../../src/render/index.ts';
import type { KubeObject } from '../../src/render/types.ts';
import { validateK8sObject } from '../support/k8s-schema.ts';

test('weave-remote-routes as built: valid apps/v1 DaemonSet, no unknown field', () => {
  const ds = remoteRoutesDaemonSet(['10.33.0.0/16', '10.34.0.0/16']);
  assert.ok(ds);
  assert.deepEqual(validateK8sObject(ds), []);
  assert.equal(remoteRoutesDaemonSet([]), null);
});

test('weave-remote-routes as rendered (labels, mirrored image): valid', () => {
  const c = defaultClusterConfig();
  c.network.weave.ipalloc_default_subnet = '10.33.0.0/16';
  c.network.weave.remote_subnets = ['10.34.0.0/16', '10.35.0.0/16'];
  c.network.image_repository = 'registry.example.com/mirror';
  const objects = renderCluster(c, {}, { includeSecrets: false }).objects;
  const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === REMOTE_ROUTES_NAME);
  assert.ok(ds, 'weave-remote-routes rendered');
  assert.equal(ds.metadata.labels?.['app.kubernetes.io/managed-by'], 'netpack');
  const pod = (ds.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec;
  assert.match(pod.containers[0]!.image, /^registry\.example\.com\/mirror\/weave-kube:/);
  assert.deepEqual(validateK8sObject(ds), []);
});

test('the check is not a rubber stamp for this object: a misspelt or mistyped field is reported', () => {
  const ds = remoteRoutesDaemonSet(['10.33.0.0/16']) as KubeObject & {
    spec: { template: { spec: { containers: Record<string, unknown>[]; hostNetwork: unknown } } };
  };
  const bad = structuredClone(ds);
  const container = bad.spec.template.spec.containers[0]!;
  container.securityContext = { capabilities: { add: ['NET_ADMIN'] }, privilegd: false };
  bad.spec.template.spec.hostNetwork = 'yes';
  const problems = validateK8sObject(bad);
  assert.ok(
    problems.some((p) => p.includes('privilegd')),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((p) => /hostNetwork/.test(p)),
    problems.join('\n'),
  );
});
