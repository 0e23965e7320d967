/**
 * Positions as one service (src/config/positions.ts): offsets of plain text and paths of a parsed
 * document map to the same line:col, and the loader hands its parse on (`LoadResult.source`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePath, SourceMap, textPositions } from '../../src/config/positions.ts';
import { at, load, yml } from './helpers.ts';

const text = yml`
  network:
    provider: calico

    calico:
      mtu: 600
`;

test('textPositions gives 1-based line and column of every offset, as the YAML parse does', () => {
  const position = textPositions(text);
  const source = SourceMap.parse(text);
  for (let offset = 0; offset <= text.length; offset++)
    assert.deepEqual(position(offset), source.pos(offset), `offset ${offset}`);
  assert.deepEqual(position(text.indexOf('600')), at(text, '600'));
  assert.deepEqual(textPositions('')(0), { line: 1, col: 1 });
});

test('the loader keeps its parse: paths and diagnostics found later are placed without parsing again', () => {
  const r = load(text);
  assert.deepEqual(r.source.valuePosition(['network', 'calico', 'mtu']), at(text, '600'));
  const [placed] = r.source.place([
    { code: 'MtuTooSmall', severity: 'error', path: 'network.calico.mtu', message: 'm' },
  ]);
  assert.deepEqual({ line: placed!.line, col: placed!.col }, at(text, '600'));
  assert.deepEqual(parsePath('hosts[2].labels.zone'), ['hosts', 2, 'labels', 'zone']);
});
