// Through the CLI against the fake API server: with Calico's etcd datastore, a later change of
// encapsulation, mode or NAT is applied to calico-node's env but cannot reach the pool (it lives
// in etcd, created once by calico-node): apply and diff say so.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
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

  it('the kubernetes datastore manages the IPPool: no warning', async () => {
    env = await setup();
    const base = `network:\n  provider: calico\n  pod_network_cidr: ${POD_CIDR}\n`;
    assert.equal((await env.np('apply', '-f', env.file('a.yml', base), '--no-wait')).code, 0);
    const r = await env.np(
      'apply',
      '-f',
      env.file('b.yml', `${base}  calico:\n    nat_outgoing: false\n`),
      '--no-wait',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /no effect/);
  });
});
