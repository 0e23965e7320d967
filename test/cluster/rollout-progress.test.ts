// The rollout progress apply prints: a workload is shown only once its watch has listed it, never
// as a made-up 0/0 (another kind's watch may answer first), on a pipe and on a terminal.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ObjectRef } from '../../src/cluster/types.ts';
import { type Progress, plainReporter, rolloutProgress, ttyReporter } from '../../src/cluster/wait.ts';
import { calicoYaml, type Env, setup } from './helpers.ts';

const DS: ObjectRef = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  namespace: 'kube-system',
  name: 'calico-node',
};
const DEP: ObjectRef = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: 'kube-system',
  name: 'calico-kube-controllers',
};

function deployment(available: number): Parameters<typeof rolloutProgress>[1] {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: DEP.name, namespace: DEP.namespace, generation: 1 },
    spec: { replicas: 1 },
    status: {
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: available,
      availableReplicas: available,
    },
  };
}

/** The cursor movements and line erasing the terminal reporter writes. */
const CURSOR_CONTROL = new RegExp(`${String.fromCharCode(27)}\\[[0-9]*[AK]`, 'g');

const unseen = (ref: ObjectRef): Progress => rolloutProgress(ref, undefined);

describe('rollout progress reporters', () => {
  it('rolloutProgress: an object not listed yet is not seen; a listed one is', () => {
    assert.equal(unseen(DEP).seen, false);
    assert.equal(unseen(DEP).done, false);
    const p = rolloutProgress(DEP, deployment(1));
    assert.deepEqual(
      { seen: p.seen, updated: p.updated, ready: p.ready, desired: p.desired, done: p.done },
      {
        seen: true,
        updated: 1,
        ready: 1,
        desired: 1,
        done: true,
      },
    );
  });

  it('plain: no line for a workload until it is seen, then its numbers', () => {
    const out: string[] = [];
    let now = 0;
    const r = plainReporter((s) => out.push(s), { start: 0, now: () => now });
    r.update([rolloutProgress(DS, undefined), unseen(DEP)]);
    assert.deepEqual(out, []);
    r.update([unseen(DS), rolloutProgress(DEP, deployment(0))]);
    now = 2000;
    // The same numbers again (another event): no line, although the time moved on.
    r.update([unseen(DS), rolloutProgress(DEP, deployment(0))]);
    now = 75_000;
    r.update([unseen(DS), rolloutProgress(DEP, deployment(1))]);
    assert.deepEqual(out, [
      'Deployment.apps/kube-system/calico-kube-controllers updated 1/1 ready 0/1 (0s)\n',
      'Deployment.apps/kube-system/calico-kube-controllers updated 1/1 ready 1/1 rolled out (1m15s)\n',
    ]);
  });

  it('plain: one never seen is named at the end, not as 0/0', () => {
    const out: string[] = [];
    const r = plainReporter((s) => out.push(s), { start: 0, now: () => 0 });
    r.update([unseen(DS), rolloutProgress(DEP, deployment(1))]);
    r.finish([unseen(DS), rolloutProgress(DEP, deployment(1))]);
    assert.deepEqual(out, [
      'Deployment.apps/kube-system/calico-kube-controllers updated 1/1 ready 1/1 rolled out (0s)\n',
      'DaemonSet.apps/kube-system/calico-node not found (0s)\n',
    ]);
  });

  /** A terminal reporter whose output is collected, its clock stopped at `at` ms after the start. */
  const tty = (at: number, columns: number) => {
    const drawn = { out: '' };
    const reporter = ttyReporter(
      (s) => {
        drawn.out += s;
      },
      { start: 0, now: () => at, columns },
    );
    return { reporter, drawn };
  };

  it('tty: a workload not seen yet is "waiting", one line per workload all along', () => {
    const { reporter: r, drawn } = tty(3000, 200);
    r.update([unseen(DS), unseen(DEP)]);
    r.finish([unseen(DS), rolloutProgress(DEP, deployment(1))]);
    const out = drawn.out;
    assert.doesNotMatch(out, /0\/0/);
    assert.match(out, /\.\. waiting {2}3s {2}DaemonSet\.apps\/kube-system\/calico-node\n/);
    assert.match(out, /\.\. waiting {2}3s {2}Deployment\.apps\/kube-system\/calico-kube-controllers\n/);
    assert.match(
      out,
      /ok updated 1\/1 ready 1\/1 {2}3s {2}Deployment\.apps\/kube-system\/calico-kube-controllers\n/,
    );
    // The redraw moves up by the two lines drawn before.
    assert.ok(out.includes('\x1b[2A'));
  });

  it('tty: every line fits the terminal width', () => {
    const { reporter: r, drawn } = tty(0, 40);
    r.update([rolloutProgress(DS, undefined), rolloutProgress(DEP, deployment(0))]);
    const lines = drawn.out.replace(CURSOR_CONTROL, '').split('\n').filter(Boolean);
    assert.equal(lines.length, 2);
    for (const line of lines) assert.ok(line.length < 40, line);
    // What is cut is the end, the name: the numbers stay.
    assert.match(lines[1]!, /^ {2}\.\. updated 1\/1 ready 0\/1 {2}0s {2}Deploy/);
  });
});

describe('netpack apply: rollout progress on a re-apply', () => {
  let env: Env;
  before(async () => {
    env = await setup({ rolloutTickMs: 20 });
  });
  after(async () => {
    await env.close();
  });

  it('prints every workload as rolled out, none as 0/0 before its watch listed it', async () => {
    const file = env.file('a.yml', calicoYaml());
    const first = await env.np('apply', '-f', file, '--timeout', '30s');
    assert.equal(first.code, 0, first.stderr);
    // Everything runs: the DaemonSets' and the Deployment's watches each list rolled-out objects.
    const again = await env.np('apply', '-f', file, '--timeout', '30s');
    assert.equal(again.code, 0, again.stderr);
    // Progress goes to stderr, so that stdout keeps only the report (-o json stays parseable).
    assert.doesNotMatch(again.stderr, / 0\/0/, again.stderr);
    const progress = again.stderr.split('\n').filter((l) => /^(DaemonSet|Deployment)\./.test(l));
    assert.deepEqual(
      progress
        .map((l) => l.replace(/ updated \d+\/\d+ ready \d+\/\d+ rolled out \(\d+s\)$/, ' rolled out'))
        .sort(),
      [
        'DaemonSet.apps/kube-system/calico-node rolled out',
        'DaemonSet.apps/kube-system/node-local-dns rolled out',
        'Deployment.apps/kube-system/calico-kube-controllers rolled out',
      ],
      again.stderr,
    );
  });
});
