// Against a real cluster, only when NETPACK_E2E_KUBECONFIG names its kubeconfig: dry-run apply,
// diff and status must work there (nothing is changed on the cluster).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { netpack } from '../cluster/helpers.ts';

const kubeconfig = process.env.NETPACK_E2E_KUBECONFIG;
const podCidr = process.env.NETPACK_E2E_POD_CIDR ?? '10.244.0.0/16';

it('netpack against a real cluster (dry run, diff, status)', async (t) => {
  if (!kubeconfig) {
    const why =
      'SKIPPED: NETPACK_E2E_KUBECONFIG is not set, so the real-cluster suite did not run (set it to a kubeconfig path; NETPACK_E2E_POD_CIDR to the cluster pod CIDR)';
    console.error(`\n!!! ${why}\n`);
    t.skip(why);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'netpack-e2e-'));
  try {
    const file = join(dir, 'cluster.yml');
    writeFileSync(file, `network:\n  provider: calico\n  pod_network_cidr: ${podCidr}\n`);
    const dry = await netpack(['apply', '-f', file, '--dry-run', '--kubeconfig', kubeconfig]);
    // 0 when the server accepted every object; 1 with a refusal naming the field (e.g. another provider runs).
    assert.ok(dry.code === 0 || /refused: network\./.test(dry.stderr), dry.stderr);
    const diff = await netpack(['diff', '-f', file, '--kubeconfig', kubeconfig]);
    assert.ok(diff.code === 0 || diff.code === 1, diff.stderr);
    const status = await netpack(['status', '-o', 'json', '-f', file, '--kubeconfig', kubeconfig]);
    assert.ok(status.code === 0 || status.code === 1, status.stderr);
    assert.equal(typeof (JSON.parse(status.stdout) as { healthy: boolean }).healthy, 'boolean');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
