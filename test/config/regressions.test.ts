/**
 * Bugs found while writing the config-model tests. Each test pins the behaviour the operator
 * should get.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { at, expectClean, expectOnly, load, yml } from './helpers.ts';

describe('fixed', () => {
  test('a non-string entry in a CIDR list is a type error, not a crash (remote_subnets)', () => {
    const text =
      'network:\n  weave:\n    ipalloc_default_subnet: 10.32.0.0/13\n    remote_subnets: [10.40.0.0/13, 0]\n';
    expectOnly(load(text), [
      { code: 'InvalidType', path: 'network.weave.remote_subnets[1]', ...at(text, '0]') },
    ]);
  });

  test('a non-string entry in a CIDR list is a type error, not a crash (trusted_subnets)', () => {
    const text = 'network:\n  weave:\n    trusted_subnets: [true]\n';
    expectOnly(load(text), [
      { code: 'InvalidType', path: 'network.weave.trusted_subnets[0]', line: 3, col: 23 },
    ]);
  });

  test('an unknown key inside node_local_dns_cache: {...} suggests "enabled", not the top-level keys', () => {
    const text = 'network:\n  node_local_dns_cache: {enable: true}\n';
    const r = load(text);
    const unknown = r.diagnostics.find((d) => d.path === 'network.node_local_dns_cache.enable');
    assert.ok(unknown, 'an unknown-option error');
    assert.deepEqual({ line: unknown.line, col: unknown.col }, at(text, 'enable:'));
    assert.equal(unknown.hint, 'did you mean "enabled"?');
  });

  test('node_local_dns_cache: yes gets the YAML 1.1 hint like any boolean', () => {
    const text = 'network:\n  node_local_dns_cache: yes\n';
    expectOnly(load(text), [
      {
        code: 'InvalidValue',
        path: 'network.node_local_dns_cache',
        line: 2,
        col: 25,
        hint: ['YAML 1.2', 'write true'],
      },
    ]);
  });

  test('mtu: "1400" (quoted) says what mtu takes and hints to drop the quotes', () => {
    const text = 'network:\n  provider: calico\n  calico:\n    mtu: "1400"\n';
    expectOnly(load(text), [
      {
        code: 'InvalidValue',
        path: 'network.calico.mtu',
        line: 4,
        col: 10,
        hint: ['write 1400 without quotes'],
      },
    ]);
  });

  test('a custom block without manifest_path gives one error, not two', () => {
    const text = 'network:\n  provider: custom\n  custom:\n    options: {a: 1}\n';
    expectOnly(load(text), [
      { code: 'MissingOption', path: 'network.custom.manifest_path', line: 3, col: 3 },
    ]);
  });
});

describe('fixed in the loader after the first test pass', () => {
  test('an unresolved alias is a YAML error at its position, not an exception', () => {
    const text = 'network:\n  provider: *nope\n';
    let r: ReturnType<typeof load> | undefined;
    assert.doesNotThrow(() => {
      r = load(text);
    });
    assert.equal(r!.config, undefined);
    const d = r!.diagnostics[0]!;
    assert.equal(d.path, '');
    assert.equal(d.severity, 'error');
    assert.match(d.message, /alias/i);
    assert.equal(d.line, 2);
  });

  test('an alias bomb (billion laughs) is refused with an error, not an exception', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const [name, prev] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
    ])
      lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    const text = `${lines.join('\n')}\n`;
    let r: ReturnType<typeof load> | undefined;
    assert.doesNotThrow(() => {
      r = load(text);
    });
    assert.equal(r!.config, undefined);
    assert.equal(r!.diagnostics.length, 1);
    assert.match(r!.diagnostics[0]!.message, /alias/i);
  });

  test('`network:` with nothing under it (all options commented out) means the defaults', () => {
    const text = 'network:\n  # provider: calico\n';
    const c = expectClean(load(text));
    assert.equal(c.network.provider, 'weave');
  });

  test('a file of comments and a `---` marker means the defaults (it was "must be a map (got object)")', () => {
    const c = expectClean(load('# nothing yet\n---\n'));
    assert.equal(c.network.provider, 'weave');
  });

  test('a document that is `null` written out is not a cluster file, and says null', () => {
    for (const text of ['null\n', '~\n'])
      expectOnly(load(text), [{ code: 'NotAMap', path: '', line: 1, col: 1 }]);
  });

  test('an option left empty gets its default with a warning (an unset template variable does this)', () => {
    const text = yml`
      network:
        provider: calico
        pod_network_cidr:
        calico:
          mtu:
    `;
    const r = load(text);
    expectOnly(r, [
      {
        code: 'EmptyValue',
        path: 'network.pod_network_cidr',
        severity: 'warning',
        line: 3,
        col: 3,
        hint: ['give it a value, or remove the key'],
      },
      {
        code: 'EmptyValue',
        path: 'network.calico.mtu',
        severity: 'warning',
        line: 5,
        col: 5,
      },
    ]);
    assert.equal(r.config?.network.pod_network_cidr, '10.32.0.0/12');
  });

  test('an empty block (`weave:` with nothing under it) is not an error', () => {
    const text = yml`
      network:
        provider: weave
        weave:
    `;
    expectClean(load(text));
  });

  test('an empty top-level key is reported with a non-empty path', () => {
    const r = load('"": 1\nnetwork: {}\n');
    assert.equal(r.diagnostics.length, 1);
    assert.notEqual(r.diagnostics[0]!.path, '', 'a path that names the key, e.g. ""');
  });

  test('a misspelt provider does not also warn that the calico block is ignored', () => {
    const text = 'network:\n  provider: Calico\n  calico:\n    mtu: 1400\n';
    expectOnly(load(text), [
      { code: 'InvalidValue', path: 'network.provider', line: 2, col: 13, hint: ['did you mean "calico"?'] },
    ]);
  });
});
