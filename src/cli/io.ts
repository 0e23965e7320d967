/**
 * The shell around the pure config model: reads cluster files and the files they name.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type LoadResult, loadConfig } from '../config/load.ts';
import { SourceMap } from '../config/positions.ts';
import type { FileKind, FileProbe } from '../config/reporter.ts';
import { defaultClusterConfig } from '../config/resolve.ts';
import type { ClusterConfig } from '../config/types.ts';
import { FileRefused, readManifestTree, readRegularFile } from '../files.ts';
import { readPeersScript } from '../peers/script.ts';
import { peersFromScript } from '../providers/weave/index.ts';
import type { RenderInputs } from '../render/types.ts';

/** A usage problem or an unreadable file: exit code 2. */
export class UsageError extends Error {}

export const fsProbe: FileProbe = {
  kind(path: string): FileKind {
    try {
      const st = statSync(path);
      if (st.isDirectory()) return 'directory';
      // A FIFO or a device reports size 0: it is not an empty file, and reading it would block
      // or never end.
      if (!st.isFile()) return 'special';
      return st.size === 0 ? 'empty' : 'file';
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
    }
  },
};

export interface Loaded extends LoadResult {
  file: string;
  builtInDefault: boolean;
  /** The file's text ('' for the built-in default); positions come from `source`, its parse. */
  text: string;
}

/** How the cluster file was chosen, for commands that must not act on the built-in default unasked. */
export interface LoadOptions {
  /** Reads standard input, for `-f -` (default: file descriptor 0). */
  stdin?: () => string;
  /**
   * Whether to fall back to the built-in default when neither -f nor ./cluster.yml is there
   * (default true). apply refuses to, unless asked for with --default: an apply in the wrong
   * directory would otherwise replace the cluster's network with Weave Net.
   */
  allowDefault?: boolean;
}

/** The name diagnostics give a cluster file read from standard input (`-f -`). */
export const STDIN_NAME = '<stdin>';

/** Standard input's text; a failure to read it is the operator's to fix (exit 2), not a bug. */
function readStdin(read: (() => string) | undefined): string {
  try {
    return read ? read() : readFileSync(0, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the cluster file from standard input (-f -): ${(e as Error).message}`);
  }
}

/**
 * Loads `file` (`-` reads standard input), or `./cluster.yml` when none is given; when that is
 * absent too, the built-in default (and says so on stderr).
 */
export function loadClusterFile(
  file: string | undefined,
  stderr: (line: string) => void,
  opts: LoadOptions = {},
): Loaded {
  const fromStdin = file === '-';
  const path = fromStdin ? STDIN_NAME : (file ?? 'cluster.yml');
  let text: string;
  try {
    text = fromStdin ? readStdin(opts.stdin) : readRegularFile(path);
  } catch (e) {
    const reason = e instanceof FileRefused ? e.reason : undefined;
    if (file === undefined && reason === 'missing') {
      if (opts.allowDefault === false)
        throw new UsageError(
          'no ./cluster.yml here and no -f: give the cluster file with -f FILE (or -f - for standard input), or --default to use the built-in default (Weave Net, default ranges)',
        );
      stderr('netpack: no ./cluster.yml here; using the built-in default (Weave Net, default ranges)');
      return {
        file: '<built-in default>',
        builtInDefault: true,
        text: '',
        config: defaultClusterConfig(),
        diagnostics: [],
        origins: {},
        source: SourceMap.parse(''),
      };
    }
    if (!(e instanceof FileRefused)) throw e;
    const why =
      reason === 'missing'
        ? 'no such file'
        : reason === 'directory'
          ? `is a directory; give the cluster file itself, e.g. ${join(path, 'cluster.yml')}`
          : e.why;
    throw new UsageError(`cannot read ${path}: ${why}`);
  }
  const result = loadConfig(text, {
    file: path, // Relative paths stay relative (to the working directory, like -f itself), so that
    // diagnostics about files the config names read the way the operator wrote the command.
    baseDir: fromStdin ? '.' : dirname(path),
    probe: fsProbe,
  });
  // An empty file means every default (as a file without network: does), but one given or
  // found on purpose is more often truncated or the wrong file than a choice: say so.
  const diagnostics = result.empty
    ? [
        ...result.diagnostics,
        {
          code: 'EmptyFile' as const,
          severity: 'warning' as const,
          path: '',
          message: 'the file is empty: every option takes its default (Weave Net, default ranges)',
          hint: 'write a network: section, or check that this is the cluster file you meant',
          file: path,
          line: 1,
          col: 1,
        },
      ]
    : result.diagnostics;
  return { ...result, diagnostics, file: path, builtInDefault: false, text };
}

const MANIFEST = /\.(ya?ml)(\.erb)?$/;

/** Reads what render needs from disk: the password file, etcd TLS files, custom manifests. */
export function readRenderInputs(config: ClusterConfig): RenderInputs {
  const inputs: RenderInputs = {};
  // Each file is checked before it is opened: a FIFO, a device or a directory is refused at once.
  const refused = (e: unknown) =>
    e instanceof FileRefused ? new UsageError(`cannot read ${e.path}: ${e.why}`) : (e as Error);
  const read = (p: string) => {
    try {
      return readRegularFile(p);
    } catch (e) {
      throw refused(e);
    }
  };
  const net = config.network;
  if (net.provider === 'weave' && net.weave.password) inputs.weavePassword = read(net.weave.password);
  if (net.provider === 'weave' && peersFromScript(config)) {
    const script = readPeersScript();
    if (script !== undefined) inputs.peersScript = script;
  }
  if (net.provider === 'calico' && net.calico.datastore === 'etcd' && net.calico.etcd) {
    const { ca_file, cert_file, key_file } = net.calico.etcd;
    inputs.etcdTls = {};
    if (ca_file) inputs.etcdTls.ca = read(ca_file);
    if (cert_file) inputs.etcdTls.cert = read(cert_file);
    if (key_file) inputs.etcdTls.key = read(key_file);
  }
  if (net.provider === 'custom' && net.custom) {
    try {
      inputs.customManifests = readManifestTree(net.custom.manifest_path, MANIFEST);
    } catch (e) {
      throw refused(e);
    }
  }
  return inputs;
}
