/**
 * Reading the operator's files without being led astray by them: a FIFO would block the read
 * for ever, /dev/zero never ends (and reads as "empty" to a size check), a directory of
 * manifests may hold a symlink loop, a link out of the directory, or be `/` with /proc inside.
 * Hand-written: Node's fs has the pieces (stat, O_NONBLOCK, statfs) but no walk with these
 * limits, and no library in package.json does it.
 *
 * Every refusal is a `FileRefused` naming the path; callers turn it into their own error class
 * (a usage error, a kubeconfig error).
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  type Stats,
  statfsSync,
  statSync,
} from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Why a file was refused: for callers that word some cases their own way. */
export type RefusedReason = 'missing' | 'directory' | 'not-regular' | 'unreadable' | 'too-large' | 'outside';

/** A file that netpack will not read, and why; `message` starts with the path. */
export class FileRefused extends Error {
  constructor(
    readonly path: string,
    /** What is wrong with it, without the path: `is a FIFO (named pipe), not a regular file`. */
    readonly why: string,
    readonly reason: RefusedReason = 'unreadable',
  ) {
    super(`${path} ${why}`);
  }
}

function notRegular(path: string, st: Stats): FileRefused {
  return new FileRefused(
    path,
    `is ${describeNonRegular(st)}, not a regular file`,
    st.isDirectory() ? 'directory' : 'not-regular',
  );
}

/** What a non-regular file is, for messages: "a FIFO (named pipe)", "a character device". */
export function describeNonRegular(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function statOrRefuse(path: string): Stats {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileRefused(
      path,
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'ELOOP'
          ? 'is a symlink loop'
          : code === 'EACCES' || code === 'EPERM'
            ? 'cannot be read (permission denied)'
            : `cannot be read (${code ?? (e as Error).message})`,
      code === 'ENOENT' ? 'missing' : 'unreadable',
    );
  }
}

/** Files larger than this are not what netpack reads (manifests, keys, a password). */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;

/**
 * The text of `path`, which must be a regular file (symlinks to one are fine). Checked before it
 * is opened, and again on the open descriptor (opened non-blocking, so that a file swapped for a
 * FIFO in between cannot block): a FIFO, a device or a directory is refused at once.
 */
export function readRegularFile(path: string, maxBytes = MAX_FILE_BYTES): string {
  const before = statOrRefuse(path);
  if (!before.isFile()) throw notRegular(path, before);
  if (before.size > maxBytes) throw new FileRefused(path, `is larger than ${maxBytes} bytes`, 'too-large');
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new FileRefused(
      path,
      `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular(path, st);
    if (st.size > maxBytes) throw new FileRefused(path, `is larger than ${maxBytes} bytes`, 'too-large');
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Throws when `path` exists but is not a regular file (a FIFO, a device, a directory); a
 * missing path is left to the reader that follows (client-node, for a kubeconfig's CA file).
 */
export function refuseNonRegular(path: string): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    return;
  }
  if (!st.isFile()) throw notRegular(path, st);
}

export interface WalkLimits {
  /** Manifest files at most. */
  files: number;
  /** Their bytes together at most. */
  bytes: number;
  /** Directory entries looked at, at most (a tree without manifests can still be huge). */
  entries: number;
}

export const MANIFEST_LIMITS: WalkLimits = { files: 1000, bytes: 50 * 1024 * 1024, entries: 20_000 };

/** statfs magic numbers of kernel pseudo file systems, whose files are not manifests. */
const PSEUDO_FS = new Set([
  0x9fa0, // proc
  0x62656572, // sysfs
  0x64626720, // debugfs
  0x74726163, // tracefs
  0x27e0eb, // cgroup
  0x63677270, // cgroup2
  0x1cd1, // devpts
  0x73636673, // securityfs
  0xcafe4a11, // bpf
]);

function isPseudoFs(path: string): boolean {
  try {
    return PSEUDO_FS.has(Number(statfsSync(path).type));
  } catch {
    return false;
  }
}

/** Whether `child` (a real path) is `root` or below it. */
function within(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
}

/**
 * The files under `root` (a file or a directory) whose names match `pattern`, sorted, with their
 * text. Symlinks are followed only to targets inside `root` (a link out of it is refused, naming
 * both); a directory already walked (a symlink loop) is not walked again; /proc, /sys and /dev
 * are not entered; a matching file that is not a regular file is refused; more than `limits`
 * files, bytes or entries is refused with what the limit is.
 */
export function readManifestTree(
  root: string,
  pattern: RegExp,
  limits: WalkLimits = MANIFEST_LIMITS,
): { path: string; text: string }[] {
  const top = statOrRefuse(root);
  if (!top.isDirectory()) return [{ path: root, text: readRegularFile(root, limits.bytes) }];
  const realRoot = realpathSync(root);
  const seen = new Set<string>();
  const found: string[] = [];
  let entries = 0;
  const walk = (dir: string, real: string) => {
    if (seen.has(real)) return;
    seen.add(real);
    if (real === '/dev' || real.startsWith('/dev/') || isPseudoFs(real)) return;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      throw new FileRefused(
        dir,
        `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    for (const name of names) {
      if (++entries > limits.entries)
        throw new FileRefused(
          root,
          `holds more than ${limits.entries} entries: point manifest_path at the directory of the manifests`,
        );
      const full = join(dir, name);
      const link = lstatSync(full);
      let target = full;
      let st = link;
      if (link.isSymbolicLink()) {
        // A dangling link, or one out of the tree, matters only where a manifest or a
        // directory of them would be read through it.
        let resolved: Stats | undefined;
        try {
          resolved = statSync(full);
        } catch {
          resolved = undefined;
        }
        if (!resolved) {
          if (pattern.test(name)) statOrRefuse(full);
          continue;
        }
        st = resolved;
        target = realpathSync(full);
        if (!within(realRoot, target)) {
          if (!st.isDirectory() && !pattern.test(name)) continue;
          throw new FileRefused(
            full,
            `is a symlink to ${target}, outside ${root}: manifests must stay under manifest_path`,
            'outside',
          );
        }
      }
      if (st.isDirectory()) {
        walk(full, link.isSymbolicLink() ? target : join(real, name));
        continue;
      }
      if (!pattern.test(name)) continue;
      if (!st.isFile()) throw notRegular(full, st);
      found.push(full);
      if (found.length > limits.files)
        throw new FileRefused(
          root,
          `holds more than ${limits.files} manifest files: point manifest_path at the directory of the manifests`,
        );
    }
  };
  walk(root, realRoot);
  found.sort();
  let bytes = 0;
  return found.map((path) => {
    const text = readRegularFile(path, limits.bytes);
    bytes += Buffer.byteLength(text);
    if (bytes > limits.bytes)
      throw new FileRefused(
        root,
        `holds more than ${limits.bytes} bytes of manifests: is manifest_path right?`,
      );
    return { path, text };
  });
}
