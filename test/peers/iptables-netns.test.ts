/**
 * Kubelet DNAT against the real iptables, in a network namespace of its own (`unshare --net`),
 * so the host's tables are never touched: the rules iptables-restore takes, the jumps from
 * OUTPUT and PREROUTING added once however often apply runs, a new rule set replacing the old,
 * and cleanup leaving nothing behind. Needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN) and
 * iptables; without them the test says so and is skipped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DNAT_CHAIN } from '../../src/peers/dnat.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/dnat-in-netns.ts', import.meta.url));

const probe = spawnSync('unshare', ['--net', 'iptables', '-w', '-t', 'nat', '-S'], { encoding: 'utf8' });
const unavailable =
  probe.error || probe.status !== 0
    ? `needs "unshare --net" and iptables (root): ${probe.error?.message ?? probe.stderr.trim()}`
    : undefined;
if (unavailable) console.warn(`\n!!! iptables-netns.test.ts: SKIPPED, ${unavailable}\n`);

test('kubelet DNAT with the real iptables, in a network namespace of its own', { skip: unavailable }, () => {
  const r = spawnSync('unshare', ['--net', process.execPath, '--import', 'tsx', script], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const steps = JSON.parse(r.stdout) as Record<string, string[]>;
  const rules = (lines: string[]) => lines.filter((l) => l.startsWith(`-A ${DNAT_CHAIN} `));
  const jumps = (lines: string[]) => lines.filter((l) => l.endsWith(`-j ${DNAT_CHAIN}`));

  assert.ok(steps.applied!.includes(`-N ${DNAT_CHAIN}`));
  assert.deepEqual(rules(steps.applied!), [
    `-A ${DNAT_CHAIN} -d 10.1.0.1/32 -p tcp -m tcp --dport 10250 -m comment --comment "netpack kubelet us-1" -j DNAT --to-destination 10.40.0.1:10250`,
    `-A ${DNAT_CHAIN} -d 10.1.0.2/32 -p tcp -m tcp --dport 10250 -m comment --comment "netpack kubelet us-2" -j DNAT --to-destination 10.40.1.1:10250`,
  ]);
  assert.deepEqual(jumps(steps.applied!).sort(), [
    `-A OUTPUT -j ${DNAT_CHAIN}`,
    `-A PREROUTING -j ${DNAT_CHAIN}`,
  ]);

  assert.deepEqual(steps.again, steps.applied, 'applying the same rules again changes nothing');

  assert.deepEqual(rules(steps.changed!), [
    `-A ${DNAT_CHAIN} -d 10.2.0.9/32 -p tcp -m tcp --dport 10250 -m comment --comment "netpack kubelet ap-1" -j DNAT --to-destination 10.44.0.1:10250`,
  ]);
  assert.equal(jumps(steps.changed!).length, 2);

  for (const step of ['cleaned', 'cleanedTwice']) {
    assert.deepEqual(
      steps[step]!.filter((l) => l.includes(DNAT_CHAIN)),
      [],
      `${step}: no chain and no jump left`,
    );
  }
});
