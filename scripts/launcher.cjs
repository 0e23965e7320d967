#!/usr/bin/env node
// netpack's command-line entry (installed as dist/netpack.cjs by scripts/bundle.mjs).
//
// The CLI is a CommonJS bundle, in two builds: dist/netpack-offline.cjs holds the commands that
// never talk to a cluster (src/cli/offline.ts) and starts faster; dist/netpack-core.cjs holds
// them all. This launcher picks one by the command name and compiles it with the V8 code cache the
// build trained for it (<bundle>.v8-<V8 version>.cache): V8 then skips parsing and compiling what the cache holds,
// about a third of a start. A missing cache, or one V8 rejects (another Node version), costs that
// time and nothing else. NETPACK_CODE_CACHE_REPORT=1 says which it was.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { createRequire } = Module;
const { join } = require('node:path');
const vm = require('node:vm');

/** Keep equal to OFFLINE_COMMANDS in src/cli/offline.ts (tested). */
const OFFLINE = ['validate', 'explain', 'render', 'images', 'schema', 'firewall'];
const training = process.env.NETPACK_TRAIN_CODE_CACHE;
const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
// --debug: stack traces should name src/ lines. The whole CLI (the bundle with a source map) is
// then compiled by Node's module loader, which reads the map once source maps are on; V8's code
// cache is not used. Only with --debug: source maps cost start-up time.
const debug = !training && process.argv.includes('--debug');
const offline = training ? process.env.NETPACK_TRAIN_CORE === 'offline' : !debug && OFFLINE.includes(command);
const file = join(__dirname, offline ? 'netpack-offline.cjs' : 'netpack-core.cjs');
// Named by the V8 that made it: V8 rejects a cache of another version anyway, and reading one only
// to reject it cost Node 24 ~30 ms per start (bench/node-versions.ts); another Node finds none.
const cacheFile = `${file}.v8-${process.versions.v8}.cache`;
// The core's one ES module import (client-node's index, for the peering side-car) goes through
// this file: a classic script compiled by vm has no module loader of its own.
globalThis.netpackImport = (specifier) => import(specifier);
const core = { exports: {} };
let script;
if (debug) {
  process.setSourceMapsEnabled(true);
  const loader = new Module(file, module);
  loader.filename = file;
  loader.paths = Module._nodeModulePaths(__dirname);
  // The bundle's first line is its banner, so the prefix moves no mapped position.
  loader._compile(`module.exports = ${readFileSync(file, 'utf8')}`, file);
  loader.exports(core.exports, createRequire(file), core, file, __dirname);
} else {
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The core is one function expression taking CommonJS's module arguments (see bundle.mjs). It
  // is ASCII (esbuild escapes other characters), so latin1 reads it without decoding UTF-8.
  script = new vm.Script(readFileSync(file, 'latin1'), { filename: file, cachedData });
  if (process.env.NETPACK_CODE_CACHE_REPORT) {
    const state = !cachedData ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted';
    process.stderr.write(`netpack: code cache ${state}\n`);
  }
  script.runInThisContext()(core.exports, createRequire(file), core, file, __dirname);
}

if (training) {
  // Build time (scripts/train-code-cache.ts): run the given commands, output discarded, then keep
  // the code V8 compiled for them.
  const quiet = { stdout() {}, stderr() {}, isTty: false };
  (async () => {
    for (const argv of JSON.parse(readFileSync(training, 'utf8'))) {
      const code = await core.exports.run(argv, quiet);
      if (code !== 0) throw new Error(`training run failed (exit ${code}): netpack ${argv.join(' ')}`);
    }
    writeFileSync(cacheFile, script.createCachedData());
  })().catch((e) => {
    process.stderr.write(`netpack: ${e.message}\n`);
    process.exitCode = 1;
  });
} else {
  core.exports.handleClosedOutput();
  core.exports.run(process.argv.slice(2)).then(exitWhenFlushed);
}

/**
 * The command is done (the side-car's `run` returns only once it stopped): exit now rather than
 * when the event loop drains, which skips Node's environment teardown (~7 ms). Where writes to
 * pipes are asynchronous (not Linux), what is still buffered is written first.
 */
function exitWhenFlushed(code) {
  process.exitCode = code;
  // A stream whose reader has gone (destroyed) will never drain: nothing to wait for there.
  const pending = [process.stdout, process.stderr].filter((s) => !s.destroyed && s.writableLength > 0);
  let left = pending.length;
  if (left === 0) process.exit(code);
  for (const s of pending)
    s.once('drain', () => {
      if (--left === 0) process.exit(code);
    });
}
