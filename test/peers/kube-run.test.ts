/**
 * The side-car's iptables shell survives a tool that exits without reading its input: the
 * broken pipe becomes the tool's exit status, not an unhandled EPIPE that kills the process.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { DnatRule } from '../../src/peers/dnat.ts';
import { iptablesDnat } from '../../src/peers/kube.ts';

const dir = mkdtempSync(join(tmpdir(), 'netpack-kube-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('iptables-restore that exits at once without reading stdin is reported as a failure, not a crash', async () => {
  const restore = join(dir, 'iptables-restore');
  writeFileSync(restore, '#!/bin/sh\necho "iptables-restore: no such table" >&2\nexit 2\n');
  chmodSync(restore, 0o755);
  const big: DnatRule[] = Array.from({ length: 5000 }, (_, i) => ({
    node: `node-${i}`,
    address: `10.1.${i >> 8}.${i & 255}`,
    to: '10.40.0.1',
  }));
  const dnat = iptablesDnat(join(dir, 'iptables'), restore);
  await assert.rejects(
    // Enough rules that the write outlasts the tool, so the pipe is closed under it.
    dnat.apply(big),
    /iptables-restore .*exit 2: iptables-restore: no such table/,
  );
});
