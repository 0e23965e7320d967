// Through the CLI against the fake API server: with Calico's etcd datastore, a later change of
// encapsulation, mode or NAT is applied to calico-node's env but cannot reach the pool (it lives
// in etcd, created once by calico-node): apply and diff say so.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { etcdPoolNotices } from '../../src/cluster/etcd-pool-notice.ts';
import { defaultNetwork } from '../../src/config/resolve.ts';
import { type Env, POD_CIDR, setup } from './helpers.ts';

const etcd = (calico: string) =>
  `network:\n  provider: calico\n  pod_network_cidr: ${POD_CIDR}\n  calico:\n    datastore: etcd\n    etcd:\n      endpoints: [http://192.0.2.20:2379]\n${calico}`;

describe('etcd datastore: pool changes have no effect', () => {
  let env: Env;
  afterEach(async () => {
    await env.close();
  });

  it('apply and diff warn about a changed NAT or mode, and not on a re-apply', async () => {
    env = await setup();
    const first = env.file('a.yml', etcd(''));
    const again = await env.np('apply', '-f', first, '--no-wait');
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /no effect/);
    const changed = env.file('b.yml', etcd('    nat_outgoing: false\n    mode: CrossSubnet\n'));
    const diff = await env.np('diff', '-f', changed);
    assert.match(
      diff.stdout,
      /^! warning: network\.calico\.nat_outgoing changes from true to false, which has no effect/m,
    );
    assert.match(diff.stdout, /^! warning: network\.calico\.mode changes from Always to CrossSubnet/m);
    const applied = await env.np('apply', '-f', changed, '--no-wait');
    assert.equal(applied.code, 0, applied.stderr);
    assert.ok(
      applied.lines.some((l) =>
        /^netpack: warning: network\.calico\.nat_outgoing .*calicoctl patch ippool/.test(l),
      ),
    );
    const same = await env.np('apply', '-f', changed, '--no-wait');
    assert.doesNotMatch(same.stderr, /no effect/);
  });
});

describe('etcdPoolNotices', () => {
  it('the kubernetes datastore manages the IPPool, and a datastore switch is the guard’s: no warning', () => {
    const was = defaultNetwork();
    was.provider = 'calico';
    const now = structuredClone(was);
    now.calico.nat_outgoing = false;
    assert.deepEqual(etcdPoolNotices(now, { network: was, inventory: [] }), []);
    was.calico.datastore = 'etcd';
    assert.deepEqual(etcdPoolNotices(now, { network: was, inventory: [] }), [], 'kubernetes now');
    now.calico.datastore = 'etcd';
    assert.equal(etcdPoolNotices(now, { network: was, inventory: [] }).length, 1);
    assert.deepEqual(etcdPoolNotices(now, undefined), [], 'first apply: the pool is made from the config');
  });
});
