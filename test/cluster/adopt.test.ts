/**
 * Adoption of what someone else made: a Pharos-shaped Weave (the upstream manifest applied
 * client-side, IPALLOC_RANGE and --no-discovery set, a peering side-car beside the router, the
 * Secret weave-passwd). diff shows it as `adopt`; apply refuses without --adopt and writes
 * nothing; apply --adopt converges it to netpack's render (diff clean, the password kept);
 * delete removes it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { installPharosWeave } from './foreign-fixtures.ts';
import { type Env, POD_CIDR, setup } from './helpers.ts';

const PASSWORD = 'pharos-made-password-3f9a1c';
const weaveYaml = `network:\n  provider: weave\n  pod_network_cidr: ${POD_CIDR}\n  node_local_dns_cache: false\n`;

describe('adopting a Pharos-made Weave', () => {
  let env: Env;
  let file: string;
  const outputs: string[] = [];
  const np = async (...argv: string[]) => {
    const r = await env.np(...argv);
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const ds = () => env.server.store.find('DaemonSet', 'weave-net', 'kube-system')!;
  const containers = () =>
    (ds().spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers.map(
      (c) => c.name,
    );
  const password = () =>
    Buffer.from(
      (env.server.store.find('Secret', 'weave-passwd', 'kube-system')!.data as Record<string, string>)[
        'weave-passwd'
      ]!,
      'base64',
    ).toString();

  before(async () => {
    env = await setup();
    await installPharosWeave(env.server, POD_CIDR, PASSWORD);
    file = env.file('cluster.yml', weaveYaml);
  });
  after(() => env.close());

  it('diff shows each object as adopt, with what changes, and writes nothing', async () => {
    const before = env.server.writes().length;
    const r = await np('diff', '-f', file);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      /^\* adopt {2}DaemonSet\.apps\/kube-system\/weave-net \(exists without netpack's label/m,
    );
    assert.match(r.stdout, /^\* adopt {2}ServiceAccount\/kube-system\/weave-net/m);
    assert.doesNotMatch(r.stdout, /\+ create DaemonSet\.apps\/kube-system\/weave-net/);
    // What goes: the side-car netpack does not render, kubectl's annotation.
    assert.match(r.stdout, /^ {4}- spec\.template\.spec\.containers\[name=pharos-weave-peers\]/m);
    assert.match(
      r.stdout,
      /^ {4}- metadata\.annotations\.kubectl\.kubernetes\.io\/last-applied-configuration/m,
    );
    assert.doesNotMatch(r.stdout, /\+ create Secret\/kube-system\/weave-passwd/);
    // The password Secret is adopted by its labels only.
    assert.match(
      r.stdout,
      /^\* adopt {2}Secret\/kube-system\/weave-passwd .*\n {4}\+ metadata\.labels: .*"app\.kubernetes\.io\/managed-by":"netpack".*\n(?! {4})/m,
    );
    assert.equal(env.server.writes().length, before);
  });

  it('apply without --adopt refuses, listing them and naming --adopt, and writes nothing', async () => {
    const before = env.server.writes().length;
    const r = await np('apply', '-f', file, '--no-wait', '--force');
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /objects netpack would create exist without its label .*DaemonSet\.apps\/kube-system\/weave-net/,
    );
    assert.match(r.stderr, /apply --adopt/);
    assert.equal(env.server.writes().length, before);
    assert.deepEqual(containers(), ['weave', 'weave-npc', 'pharos-weave-peers']);
  });

  it('apply --adopt converges it to the render: diff clean, the password kept', async () => {
    const r = await np('apply', '-f', file, '--no-wait', '--adopt');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, / adopted, /);
    assert.deepEqual(containers(), ['weave', 'weave-npc']);
    const meta = ds().metadata;
    assert.equal(meta.labels?.['app.kubernetes.io/managed-by'], 'netpack');
    assert.equal(meta.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], undefined);
    assert.ok(!meta.managedFields?.some((m) => m.manager === 'kubectl-client-side-apply'));
    assert.equal(password(), PASSWORD, 'the running mesh keeps its password');
    const secret = env.server.store.find('Secret', 'weave-passwd', 'kube-system')!;
    assert.equal(secret.metadata.labels?.['app.kubernetes.io/managed-by'], 'netpack');
    const diff = await np('diff', '-f', file);
    assert.equal(diff.code, 0, diff.stdout);
    const n = env.server.writes().length;
    assert.equal((await np('apply', '-f', file, '--no-wait')).code, 0);
    assert.equal(env.server.writes().length, n, 'converged: nothing more to write');
  });

  it('delete removes the adopted objects', async () => {
    const r = await np('delete', '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(env.server.store.find('DaemonSet', 'weave-net', 'kube-system'), undefined);
    assert.equal(env.server.store.find('ClusterRole', 'weave-net'), undefined);
    assert.equal(env.server.store.find('ServiceAccount', 'weave-net', 'kube-system'), undefined);
    assert.equal(env.server.store.find('Secret', 'weave-passwd', 'kube-system'), undefined);
  });

  it('no byte of the password in any output', () => {
    for (const text of outputs) {
      assert.ok(!text.includes(PASSWORD));
      assert.ok(!text.includes(Buffer.from(PASSWORD).toString('base64')));
    }
  });
});
