/**
 * The API server's warnings (Warning headers: deprecated APIs, Pod Security checks) reach the
 * operator as kubectl shows them: once each, naming the request, and never quoting a Secret.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { warningTexts } from '../../src/cluster/client.ts';
import { calicoYaml, setup } from './helpers.ts';

describe('warningTexts', () => {
  it('reads each Warning header of the raw headers, commas and escaped quotes included', () => {
    const raw = [
      'Content-Type',
      'application/json',
      'Warning',
      '299 - "policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+, unavailable in v1.25+"',
      'warning',
      '299 - "would violate PodSecurity \\"restricted:latest\\": hostNetwork=true"',
      'Warning',
      'not in the RFC form',
    ];
    assert.deepEqual(warningTexts(raw), [
      'policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+, unavailable in v1.25+',
      'would violate PodSecurity "restricted:latest": hostNetwork=true',
      'not in the RFC form',
    ]);
  });
});

describe('apply shows the API server warnings', () => {
  it('once each, with the object they are about', async () => {
    const env = await setup({
      warnings: (r) =>
        r.verb === 'apply' && r.resource === 'daemonsets'
          ? ['would violate PodSecurity "restricted:latest": host namespaces (hostNetwork=true)']
          : undefined,
    });
    try {
      const file = env.file('cluster.yml', calicoYaml());
      const r = await env.np('apply', '-f', file, '--no-wait');
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stderr.split('\n').filter((l) => l.includes('warning from the API server'));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(
        lines[0]!,
        /^netpack: warning from the API server \(apply DaemonSet\.apps\/kube-system\/[a-z-]+\): would violate PodSecurity "restricted:latest": host namespaces \(hostNetwork=true\)$/,
      );
    } finally {
      await env.close();
    }
  });

  it('says that a Secret drew a warning, without its text', async () => {
    const env = await setup({
      warnings: (r) =>
        r.resource === 'secrets' && r.method === 'POST' ? ['data.password: s3cr3t-value'] : undefined,
    });
    try {
      const file = env.file(
        'cluster.yml',
        'network:\n  provider: weave\n  pod_network_cidr: 10.244.0.0/16\n',
      );
      const r = await env.np('apply', '-f', file, '--no-wait');
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr + r.stdout, /s3cr3t/);
      assert.match(
        r.stderr,
        /warning from the API server \(create Secret\/kube-system\/weave-passwd\): the API server sent a warning \(not shown: it may quote a value\)/,
      );
    } finally {
      await env.close();
    }
  });
});
