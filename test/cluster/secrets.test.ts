// Secret values never reach stdout or stderr of any command, and create-only Secrets are never updated.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type Cli, type Env, setup } from './helpers.ts';

const PASSWORD = 'Sup3r-S3cret-Weave-Passw0rd';

function assertClean(outputs: Cli[], secrets: string[]): void {
  for (const o of outputs) {
    for (const s of secrets) {
      assert.ok(!o.stdout.includes(s), `stdout shows a secret: ${o.stdout.slice(0, 200)}`);
      assert.ok(!o.stderr.includes(s), `stderr shows a secret: ${o.stderr.slice(0, 200)}`);
    }
  }
}

const forms = (v: string) => [v, Buffer.from(v).toString('base64')];

describe('secrets', () => {
  let env: Env;
  afterEach(async () => {
    await env.close();
  });

  it('the weave password from a file is created once, never printed, never updated', async () => {
    env = await setup({ rolloutTickMs: 20 });
    const pw = env.file('weave.pw', `${PASSWORD}\n`);
    const file = env.file(
      'cluster.yml',
      `network:\n  provider: weave\n  pod_network_cidr: 10.244.0.0/16\n  weave:\n    password: ${pw}\n`,
    );
    const outputs: Cli[] = [];
    outputs.push(await env.np('diff', '-f', file, '-v'));
    outputs.push(await env.np('apply', '-f', file, '--dry-run', '-v'));
    outputs.push(await env.np('apply', '-f', file, '-v', '--timeout', '30s'));
    assert.equal(outputs.at(-1)!.code, 0, outputs.at(-1)!.stderr);
    const secret = env.server.store.find('Secret', 'weave-passwd', 'kube-system')!;
    assert.equal(
      Buffer.from((secret.data as Record<string, string>)['weave-passwd']!, 'base64').toString(),
      PASSWORD,
    );
    outputs.push(await env.np('status', '-o', 'json'));
    outputs.push(await env.np('diff', '-f', file));
    assert.doesNotMatch(outputs.at(-1)!.stdout, /differs from/, 'no warning while the file matches');
    // A new password file does not rotate the Secret: weave peers would lose each other.
    env.file('weave.pw', 'another-password\n');
    const applied = await env.np('apply', '-f', file, '--no-wait', '-v');
    outputs.push(applied);
    // ... but says so, naming the file, and how to rotate.
    assert.match(
      applied.stderr,
      /warning: Secret\/kube-system\/weave-passwd differs from file .*weave\.pw; netpack never updates it/,
    );
    const stale = await env.np('diff', '-f', file);
    outputs.push(stale);
    assert.match(
      stale.stdout,
      /! Secret\/kube-system\/weave-passwd differs from .*to rotate, delete the Secret/,
    );
    assert.equal(stale.code, 0, 'nothing apply would change');
    const again = env.server.store.find('Secret', 'weave-passwd', 'kube-system')!;
    assert.equal(again.metadata.resourceVersion, secret.metadata.resourceVersion);
    assert.ok(!env.server.writes().some((w) => w.resource === 'secrets' && w.verb !== 'create'));
    assertClean(outputs, [...forms(PASSWORD), ...forms('another-password')]);
  });

  it('a generated password is 48 hex characters, never printed', async () => {
    env = await setup();
    const file = env.file('cluster.yml', 'network:\n  provider: weave\n  pod_network_cidr: 10.244.0.0/16\n');
    const outputs = [await env.np('apply', '-f', file, '--no-wait', '-v')];
    assert.equal(outputs[0]!.code, 0, outputs[0]!.stderr);
    const secret = env.server.store.find('Secret', 'weave-passwd', 'kube-system')!;
    const value = Buffer.from((secret.data as Record<string, string>)['weave-passwd']!, 'base64').toString();
    assert.match(value, /^[0-9a-f]{48}$/);
    outputs.push(
      await env.np('diff', '-f', file),
      await env.np('status'),
      await env.np('apply', '-f', file, '--no-wait'),
    );
    assertClean(outputs, forms(value));
    assert.match(outputs[0]!.stderr, /created Secret kube-system\/weave-passwd from 48 random hex/);
  });
});
