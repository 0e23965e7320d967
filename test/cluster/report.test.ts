// formatPlan: what diff and apply print for a plan.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Plan } from '../../src/cluster/plan.ts';
import { formatPlan } from '../../src/cluster/report.ts';
import type { KubeObject } from '../../src/cluster/types.ts';

const ds: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'weave-net', namespace: 'kube-system' },
};

function weave(env: { name: string; value: string }[], extra: Record<string, unknown> = {}) {
  return {
    name: 'weave',
    command: ['/home/weave/launch.sh'],
    image: 'weaveworks/weave-kube:2.8.1',
    env: [
      { name: 'INIT_CONTAINER', value: 'true' },
      { name: 'HOSTNAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
      ...env,
    ],
    ...extra,
  };
}

function planOf(from: unknown, to: unknown): Plan {
  return {
    items: [
      {
        action: 'update',
        ref: { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'kube-system', name: 'weave-net' },
        desired: ds,
        changes: [{ op: 'change', path: 'spec.template.spec.containers', from, to }],
      },
    ],
    changes: 1,
  };
}

describe('formatPlan: a changed list shows what changed inside it', () => {
  it('an env value changed deep in a container list is named by its path, not truncated JSON', () => {
    const lines = formatPlan(
      planOf(
        // live: the server added defaults around our fields
        [
          weave([{ name: 'EXTRA_ARGS', value: '--log-level=info' }], {
            terminationMessagePath: '/dev/termination-log',
          }),
        ],
        [weave([{ name: 'EXTRA_ARGS', value: '--log-level=debug' }])],
      ),
      [],
      false,
    );
    assert.deepEqual(lines, [
      '~ change DaemonSet.apps/kube-system/weave-net',
      '    ~ spec.template.spec.containers[name=weave].env[name=EXTRA_ARGS].value: "--log-level=info" -> "--log-level=debug"',
      '0 unchanged',
    ]);
  });

  it('list members added and removed by name', () => {
    const lines = formatPlan(
      planOf(
        [weave([{ name: 'OLD', value: '1' }]), { name: 'peering', image: 'p:1' }],
        [weave([{ name: 'NO_MASQ_LOCAL', value: '1' }])],
      ),
      [],
      false,
    );
    assert.deepEqual(lines, [
      '~ change DaemonSet.apps/kube-system/weave-net',
      '    + spec.template.spec.containers[name=weave].env[name=NO_MASQ_LOCAL]: {"name":"NO_MASQ_LOCAL","value":"1"}',
      '    - spec.template.spec.containers[name=weave].env[name=OLD] (was {"name":"OLD","value":"1"})',
      '    - spec.template.spec.containers[name=peering] (was {"name":"peering","image":"p:1"})',
      '0 unchanged',
    ]);
  });

  it('lists without names: by index when the lengths match, else as a whole', () => {
    const byIndex = formatPlan(planOf([['a', 'b']], [['a', 'c']]), [], false);
    assert.equal(byIndex[1], '    ~ spec.template.spec.containers[0][1]: "b" -> "c"');
    const whole = formatPlan(planOf(['a'], ['a', 'b']), [], false);
    assert.equal(whole[1], '    ~ spec.template.spec.containers: ["a"] -> ["a","b"]');
  });

  it('the same members in another order: the whole list', () => {
    const lines = formatPlan(
      planOf([{ name: 'b' }, { name: 'a' }], [{ name: 'a' }, { name: 'b' }]),
      [],
      false,
    );
    assert.equal(
      lines[1],
      '    ~ spec.template.spec.containers: [{"name":"b"},{"name":"a"}] -> [{"name":"a"},{"name":"b"}]',
    );
  });
});
