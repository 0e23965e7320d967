/**
 * Waiting for CRDs to become Established, against the fake API server through the real client:
 * a few are watched by name (no list of every CRD's schema), many with one watch of all CRDs, and
 * a CRD that never gets there is named when time runs out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClusterClient } from '../../src/cluster/client.ts';
import { loadKubeConfig } from '../../src/cluster/kubeconfig.ts';
import type { ClusterClient } from '../../src/cluster/types.ts';
import { waitForCrds } from '../../src/cluster/wait.ts';
import { calicoCrds } from '../../src/providers/calico/crds.ts';
import { type FakeApiServer, startFakeApiServer } from '../fake-apiserver/index.ts';

const crdRequests = (server: FakeApiServer, from: number) =>
  server.requests.slice(from).filter((r) => r.resource === 'customresourcedefinitions' && r.method === 'GET');

async function connect(server: FakeApiServer): Promise<ClusterClient> {
  const { kc } = await loadKubeConfig({ kubeconfig: server.kubeconfigPath });
  return createClusterClient(kc);
}

describe('waitForCrds', () => {
  let server: FakeApiServer;
  let client: ClusterClient;
  const crds = calicoCrds();
  const names = crds.map((c) => c.metadata.name);

  before(async () => {
    server = await startFakeApiServer({ crdEstablishDelayMs: 30 });
    client = await connect(server);
    for (const crd of crds) await client.apply(crd, { dryRun: false, force: false });
  });

  after(async () => {
    client.close();
    await server.close();
  });

  it('watches one CRD by name: no request lists every CRD', async () => {
    const from = server.requests.length;
    await waitForCrds(client, [names[0]!], Date.now() + 10_000);
    const reads = crdRequests(server, from);
    assert.ok(reads.length > 0);
    for (const r of reads) assert.equal(r.query.fieldSelector, `metadata.name=${names[0]}`);
  });

  it('watches many CRDs with one list and watch of them all', async () => {
    assert.ok(names.length > 4);
    const from = server.requests.length;
    await waitForCrds(client, names, Date.now() + 10_000);
    const reads = crdRequests(server, from);
    assert.equal(reads.filter((r) => r.verb === 'list').length, 1, JSON.stringify(reads));
    for (const r of reads) assert.equal(r.query.fieldSelector, undefined);
  });
});

describe('learnCrd', () => {
  it('serves a kind from its Established CRD, without asking discovery again', async () => {
    const server = await startFakeApiServer({ crdEstablishDelayMs: 5 });
    const client = await connect(server);
    try {
      const crd = calicoCrds().find((c) => c.metadata.name === 'ippools.crd.projectcalico.org')!;
      assert.equal(await client.resource('crd.projectcalico.org/v1', 'IPPool'), undefined, 'not served yet');
      await client.apply(crd, { dryRun: false, force: false });
      await waitForCrds(client, [crd.metadata.name], Date.now() + 10_000);
      client.learnCrd(crd);
      const from = server.requests.length;
      assert.deepEqual(await client.resource('crd.projectcalico.org/v1', 'IPPool'), {
        plural: 'ippools',
        namespaced: false,
      });
      assert.equal(server.requests.length, from, 'no discovery request');
      const pools = await client.list('crd.projectcalico.org/v1', 'IPPool');
      assert.deepEqual(pools.items, [], 'and the path it names answers');
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('waitForCrds when a CRD never becomes Established', () => {
  it('names it when the deadline passes', async () => {
    const server = await startFakeApiServer({ crdEstablishDelayMs: 60_000 });
    const client = await connect(server);
    try {
      const [crd] = calicoCrds();
      await client.apply(crd!, { dryRun: false, force: false });
      await assert.rejects(
        waitForCrds(client, [crd!.metadata.name], Date.now() + 300),
        new RegExp(
          `timed out waiting for CRDs to become Established: ${crd!.metadata.name.replaceAll('.', '\\.')}$`,
        ),
      );
    } finally {
      client.close();
      await server.close();
    }
  });
});
