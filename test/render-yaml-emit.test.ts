import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { emitYaml } from '../src/render/yaml-emit.ts';

/** Both readers a manifest meets: kubectl's YAML 1.1 and editors' YAML 1.2. */
function roundTrips(value: unknown): void {
  const text = emitYaml(value);
  const expected = JSON.parse(JSON.stringify(value));
  assert.deepEqual(parse(text, { version: '1.1' }), expected, `YAML 1.1 read differs for:\n${text}`);
  assert.deepEqual(parse(text, { version: '1.2' }), expected, `YAML 1.2 read differs for:\n${text}`);
}

const TRICKY = [
  'yes',
  'E0',
  'e5',
  '.e3',
  '-E12',
  'No',
  'ON',
  'off',
  'y',
  'N',
  'true',
  'False',
  'null',
  '~',
  'Null',
  '',
  ' ',
  ' lead',
  'trail ',
  '0755',
  '010',
  '1e3',
  '1_000',
  '0x1F',
  '0b101',
  '12:30:45',
  '2024-01-01',
  '.inf',
  '-.Inf',
  '.NaN',
  '-',
  '--',
  '--trusted-subnets=10.0.0.0/8',
  '-localip',
  '- item',
  'a: b',
  'a #b',
  'a:',
  '#x',
  '&a',
  '*a',
  '!tag',
  '|',
  '>',
  '%x',
  '@x',
  '`x',
  '"q"',
  "'q'",
  '[a]',
  '{a}',
  ',',
  '?',
  ':',
  '<<',
  '=',
  'key: value\n',
  'line1\nline2',
  'line1\nline2\n',
  'line1\n\n',
  '\n',
  '\nlead',
  '  indented\nx',
  'tab\there',
  'cr\r\nlf',
  'ünïcödé',
  '\u2028',
  'a\u0000b',
  'x\n  \ny',
  '^(\\d+):(\\d+)$',
  'C:\\path',
  'http://x:80/',
  'k8s.io/app=x',
  '169.254.20.10',
];

describe('YAML emitter', () => {
  it('writes strings that YAML 1.1 or 1.2 could misread as quoted, and the rest plain', () => {
    assert.equal(emitYaml({ a: 'yes' }), 'a: "yes"\n');
    assert.equal(emitYaml({ a: '0755' }), 'a: "0755"\n');
    assert.equal(emitYaml({ a: 'kube-system' }), 'a: kube-system\n');
    assert.equal(emitYaml({ a: '--no-discovery' }), 'a: "--no-discovery"\n');
    assert.equal(emitYaml({ a: 'x\ny\n' }), 'a: |\n  x\n  y\n');
  });

  it('round-trips every tricky string, as value, key and list item', () => {
    for (const s of TRICKY) roundTrips({ value: s, [s]: 1, list: [s, { nested: s }] });
  });

  it('round-trips numbers, booleans, null, empty and nested collections', () => {
    roundTrips({
      n: 0,
      neg: -1,
      f: 1.5,
      big: 1e21,
      small: 5e-7,
      t: true,
      f2: false,
      z: null,
      e: [],
      o: {},
      deep: [[1, [2]], [{}]],
    });
  });

  it('round-trips arbitrary JSON data (property)', () => {
    const text = fc.oneof(fc.string(), fc.constantFrom(...TRICKY), fc.string({ unit: 'grapheme' }));
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(text, tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        roundTrips({ root: v });
      }),
      { numRuns: 800 },
    );
  });
});
