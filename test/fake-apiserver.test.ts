// Drives the fake API server with the real @kubernetes/client-node, the client netpack uses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ApiException,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
} from '@kubernetes/client-node';
import { type FakeApiServer, startFakeApiServer } from './fake-apiserver/index.ts';

type Obj = KubernetesObject & { metadata: { name: string; namespace?: string } } & Record<string, unknown>;

function daemonSet(name: string, image: string, labels: Record<string, string> = { app: name }): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'kube-system', labels },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name, image }] },
      },
    },
  };
}

function configMap(
  name: string,
  labels: Record<string, string> = {},
  data: Record<string, string> = {},
): Obj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data };
}

async function statusCodeOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof ApiException) return e.code;
    throw e;
  }
  assert.fail('expected the request to fail');
}

describe('fake API server against @kubernetes/client-node', () => {
  let server: FakeApiServer;
  let kc: KubeConfig;
  let api: KubernetesObjectApi;
  const apply = (obj: Obj, manager = 'netpack', force = true, dryRun?: string) =>
    api.patch(obj, undefined, dryRun, manager, force, PatchStrategy.ServerSideApply);

  before(async () => {
    server = await startFakeApiServer({ crdEstablishDelayMs: 10 });
    kc = new KubeConfig();
    kc.loadFromFile(server.kubeconfigPath);
    api = KubernetesObjectApi.makeApiClient(kc);
  });
  after(() => server.close());

  it('creates by apply, and a no-op re-apply keeps resourceVersion and generation', async () => {
    const created = await apply(daemonSet('noop', 'img:1'));
    assert.equal(created.metadata?.generation, 1);
    assert.ok(created.metadata?.uid);
    const request = server.requests.filter((r) => r.verb === 'apply').at(-1);
    assert.equal(request?.contentType, 'application/apply-patch+yaml');
    assert.equal(request?.status, 201);

    const again = await apply(daemonSet('noop', 'img:1'));
    assert.equal(again.metadata?.resourceVersion, created.metadata?.resourceVersion);
    assert.equal(again.metadata?.generation, 1);

    const changed = await apply(daemonSet('noop', 'img:2'));
    assert.notEqual(changed.metadata?.resourceVersion, created.metadata?.resourceVersion);
    assert.equal(changed.metadata?.generation, 2);
    const managers = changed.metadata?.managedFields?.map((m) => `${m.manager}/${m.operation}`);
    assert.deepEqual(managers, ['netpack/Apply']);
  });

  it('reports a conflict when a second manager changes an owned field, unless forced', async () => {
    await apply(daemonSet('shared', 'img:1'));
    const code = await statusCodeOf(apply(daemonSet('shared', 'img:other'), 'someone-else', false));
    assert.equal(code, 409);
    const stored = server.store.find('DaemonSet', 'shared', 'kube-system') as unknown as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    assert.equal(
      stored.spec.template.spec.containers[0]?.image,
      'img:1',
      'the conflicting apply changed nothing',
    );

    // Same value: shared ownership, no conflict.
    await apply(daemonSet('shared', 'img:1'), 'someone-else', false);
    const forced = await apply(daemonSet('shared', 'img:other'), 'someone-else', true);
    const spec = forced as unknown as { spec: { template: { spec: { containers: { image: string }[] } } } };
    assert.equal(spec.spec.template.spec.containers[0]?.image, 'img:other');
    const owners = forced.metadata?.managedFields?.map((m) => m.manager).sort();
    assert.deepEqual(owners, ['netpack', 'someone-else']);
  });

  it('stores nothing on dryRun=All', async () => {
    const before = server.store.resourceVersion;
    const writesBefore = server.writes().length;
    const result = await apply(configMap('dry', {}, { a: '1' }), 'netpack', true, 'All');
    assert.equal(result.metadata?.name, 'dry');
    assert.equal(server.store.find('ConfigMap', 'dry', 'default'), undefined);
    assert.equal(server.store.resourceVersion, before);
    assert.equal(server.writes().length, writesBefore);
    assert.equal(server.requests.at(-1)?.dryRun, true);
  });

  it('pages lists with limit and continue', async () => {
    for (let i = 0; i < 5; i++) await api.create(configMap(`page-${i}`, { paged: 'yes' }));
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await api.list(
        'v1',
        'ConfigMap',
        'default',
        undefined,
        undefined,
        undefined,
        undefined,
        'paged=yes',
        2,
        token,
      );
      names.push(...page.items.map((i) => i.metadata!.name!));
      assert.ok(page.metadata?.resourceVersion);
      token = page.metadata?._continue;
      pages++;
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual(names, ['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
  });

  it('lists metadata only when asked as kube-apiserver does (PartialObjectMetadataList), else 406', async () => {
    await api.create(configMap('meta-only', { shape: 'meta' }, { secretish: 'value-not-sent' }));
    const get = (accept: string) =>
      fetch(`${server.url}/api/v1/namespaces/default/configmaps?labelSelector=shape%3Dmeta&limit=500`, {
        headers: { Accept: accept },
      });
    const asked = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
    const meta = await get(`${asked},application/json`);
    assert.equal(meta.status, 200);
    assert.equal(meta.headers.get('content-type'), asked);
    const doc = (await meta.json()) as {
      kind: string;
      apiVersion: string;
      metadata: { resourceVersion?: string };
      items: { kind: string; apiVersion: string; metadata: { name: string; labels: object } }[];
    };
    assert.equal(doc.kind, 'PartialObjectMetadataList');
    assert.equal(doc.apiVersion, 'meta.k8s.io/v1');
    assert.ok(doc.metadata.resourceVersion);
    assert.deepEqual(
      doc.items.map((i) => [i.kind, i.apiVersion, i.metadata.name, i.metadata.labels]),
      [['PartialObjectMetadata', 'meta.k8s.io/v1', 'meta-only', { shape: 'meta' }]],
    );
    assert.ok(!JSON.stringify(doc).includes('value-not-sent'));
    // Parameters in any order; another `as` falls back to the plain list named after it.
    const reordered = await get('application/json;v=v1;g=meta.k8s.io;as=PartialObjectMetadataList');
    assert.equal(((await reordered.json()) as { kind: string }).kind, 'PartialObjectMetadataList');
    const full = await get('application/json;as=Table;g=meta.k8s.io;v=v1,application/json');
    assert.equal(((await full.json()) as { kind: string }).kind, 'ConfigMapList');
    assert.equal((await get('application/json;as=Table;g=meta.k8s.io;v=v1')).status, 406);
  });

  it('filters by label selectors and field selectors', async () => {
    await api.create(configMap('sel-a', { tier: 'web', env: 'prod' }));
    await api.create(configMap('sel-b', { tier: 'db', env: 'prod' }));
    await api.create(configMap('sel-c', { tier: 'web' }));
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (
        await api.list(
          'v1',
          'ConfigMap',
          'default',
          undefined,
          undefined,
          undefined,
          fieldSelector,
          labelSelector,
        )
      ).items
        .map((i) => i.metadata!.name!)
        .filter((n) => n.startsWith('sel-'));
    assert.deepEqual(await names('tier=web'), ['sel-a', 'sel-c']);
    assert.deepEqual(await names('tier!=web'), ['sel-b']);
    assert.deepEqual(await names('tier in (db,cache),env'), ['sel-b']);
    assert.deepEqual(await names('tier notin (db),!env'), ['sel-c']);
    assert.deepEqual(await names('env'), ['sel-a', 'sel-b']);
    assert.deepEqual(await names(undefined, 'metadata.name=sel-b'), ['sel-b']);
    const all = await api.list('v1', 'ConfigMap');
    assert.ok(
      all.items.some((i) => i.metadata?.name === 'sel-a'),
      'cluster-wide list',
    );
  });

  it('answers 404 on read and delete of a missing object, and deletes', async () => {
    assert.equal(await statusCodeOf(api.read(configMap('missing'))), 404);
    assert.equal(await statusCodeOf(api.delete(configMap('missing'))), 404);
    await api.create(configMap('doomed'));
    await api.delete(configMap('doomed'));
    assert.equal(server.store.find('ConfigMap', 'doomed', 'default'), undefined);
  });

  it('rejects a replace with a stale resourceVersion', async () => {
    const created = await api.create(configMap('occ', {}, { a: '1' }));
    await api.replace({ ...created, data: { a: '2' } } as Obj);
    const code = await statusCodeOf(api.replace({ ...created, data: { a: '3' } } as Obj));
    assert.equal(code, 409);
  });

  it('streams watch events and answers a too-old resourceVersion with a 410 ERROR event', async () => {
    const start = server.store.resourceVersion;
    const events: { type: string; name?: string; code?: number }[] = [];
    const watch = new Watch(kc);
    let ended!: () => void;
    const done = new Promise<void>((r) => {
      ended = r;
    });
    const controller = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: String(start) },
      (type, obj: Obj) => {
        events.push({ type, name: obj.metadata?.name });
        if (type === 'DELETED') controller.abort();
      },
      () => ended(),
    );
    await api.create(configMap('watched', {}, { a: '1' }));
    await api.patch(
      configMap('watched', {}, { a: '2' }),
      undefined,
      undefined,
      'netpack',
      true,
      PatchStrategy.MergePatch,
    );
    await api.delete(configMap('watched'));
    await done;
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.name}`),
      ['ADDED watched', 'MODIFIED watched', 'DELETED watched'],
    );

    server.store.compact();
    const expired = await new Promise<{ type: string; code?: number }>((resolve) => {
      void watch.watch(
        '/api/v1/namespaces/default/configmaps',
        { resourceVersion: String(start) },
        (type, obj: { code?: number }) => resolve({ type, code: obj.code }),
        () => {},
      );
    });
    assert.deepEqual(expired, { type: 'ERROR', code: 410 });
  });

  it('surfaces injected faults: 503 with Retry-After, connection reset, forced apply conflicts', async () => {
    await api.create(configMap('faulty'));
    const remove = server.faults.failRequests(['get'], 503);
    const failure = await api.read(configMap('faulty')).catch((e: ApiException<unknown>) => e);
    assert.ok(failure instanceof ApiException);
    assert.equal(failure.code, 503);
    assert.equal(failure.headers['retry-after'], '1');
    assert.equal((JSON.parse(String(failure.body)) as { reason: string }).reason, 'ServiceUnavailable');
    remove();
    assert.equal((await api.read(configMap('faulty'))).metadata?.name, 'faulty');

    server.faults.add({ verbs: ['get'], reset: true, times: 1 });
    await assert.rejects(api.read(configMap('faulty')));
    assert.equal(server.requests.at(-1)?.status, 0);

    server.faults.conflictNextApplies(1);
    assert.equal(await statusCodeOf(apply(configMap('faulty'))), 409);
    await apply(configMap('faulty'));
    server.faults.clear();
  });

  it('draws random faults deterministically from the seed', async () => {
    const pattern = async () => {
      server.faults.seed(42);
      const remove = server.faults.failRequests(['get'], 500, 0.5);
      const codes: number[] = [];
      for (let i = 0; i < 8; i++) {
        codes.push(
          await api.read(configMap('faulty')).then(
            () => 200,
            (e: ApiException<unknown>) => e.code,
          ),
        );
      }
      remove();
      return codes;
    };
    const first = await pattern();
    assert.deepEqual(await pattern(), first);
    assert.ok(first.includes(500) && first.includes(200), `a mix of failures and successes: ${first}`);
  });

  it('serves a custom resource once its CRD is Established', async () => {
    const crd: Obj = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'ippools.crd.projectcalico.org' },
      spec: {
        group: 'crd.projectcalico.org',
        scope: 'Cluster',
        names: { kind: 'IPPool', listKind: 'IPPoolList', plural: 'ippools', singular: 'ippool' },
        versions: [
          { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
        ],
      },
    };
    await apply(crd);
    let established = false;
    for (let i = 0; i < 100 && !established; i++) {
      const current = (await api.read(crd)) as Obj & {
        status?: { conditions?: { type: string; status: string }[] };
      };
      established =
        current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
      if (!established) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(established, 'CRD became Established');
    const pool: Obj = {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPPool',
      metadata: { name: 'default-ipv4-ippool' },
      spec: { cidr: '10.244.0.0/16' },
    };
    await apply(pool);
    const listed = await api.list('crd.projectcalico.org/v1', 'IPPool');
    assert.deepEqual(
      listed.items.map((i) => i.metadata?.name),
      ['default-ipv4-ippool'],
    );
  });

  it('simulates a DaemonSet rollout that becomes ready node by node', async () => {
    server.addNodes(3, { 'node-role.kubernetes.io/worker': '' });
    await apply(daemonSet('rolling', 'img:1'));
    const readyCounts: number[] = [];
    while (server.rollout.step()) {
      const ds = (await api.read(daemonSet('rolling', 'img:1'))) as Obj & {
        status?: { numberReady?: number };
      };
      readyCounts.push(ds.status?.numberReady ?? 0);
    }
    assert.deepEqual(readyCounts.slice(0, 3), [1, 2, 3]);
    const ds = (await api.read(daemonSet('rolling', 'img:1'))) as Obj & { status: Record<string, number> };
    assert.equal(ds.status.desiredNumberScheduled, 3);
    assert.equal(ds.status.updatedNumberScheduled, 3);
    assert.equal(ds.status.numberAvailable, 3);
    assert.equal(ds.status.observedGeneration, ds.metadata?.generation);
  });

  it('leaves pods on failing nodes in ImagePullBackOff and the DaemonSet short of ready', async () => {
    server.rollout.failNodes(['node-2'], 'ImagePullBackOff');
    await apply(daemonSet('rolling', 'img:broken'));
    server.rollout.settle();
    const ds = (await api.read(daemonSet('rolling', 'img:1'))) as Obj & { status: Record<string, number> };
    assert.equal(ds.status.observedGeneration, 2);
    assert.equal(ds.status.desiredNumberScheduled, 3);
    assert.equal(ds.status.numberReady, 2);
    assert.equal(ds.status.numberUnavailable, 1);
    const pods = await api.list(
      'v1',
      'Pod',
      'kube-system',
      undefined,
      undefined,
      undefined,
      undefined,
      'app=rolling',
    );
    const stuck = pods.items.find(
      (p) => (p as unknown as { spec: { nodeName: string } }).spec.nodeName === 'node-2',
    );
    const status = (
      stuck as unknown as { status: { containerStatuses: { state: { waiting?: { reason: string } } }[] } }
    ).status;
    assert.equal(status.containerStatuses[0]?.state.waiting?.reason, 'ImagePullBackOff');
    server.rollout.healNodes(['node-2']);
  });
});
