/**
 * Shared plumbing of the config checks: the diagnostics collector and the file probe.
 */
import { posix, win32 } from 'node:path';
import type { Diagnostic, DiagnosticCode, Severity } from './diagnostics.ts';
import { formatPath, type PathSegment, type SourceMap } from './positions.ts';

/** `special`: a FIFO, a device or a socket, never read (it may block or never end). */
export type FileKind = 'file' | 'directory' | 'empty' | 'missing' | 'unreadable' | 'special';

/** Answers what is at a path; the CLI backs it with the file system, tests with a map. */
export interface FileProbe {
  kind(absolutePath: string): FileKind;
}

/** What a diagnostic says: its code, where (the option's path), what and how to fix it. */
type ReportArgs = [
  code: DiagnosticCode,
  path: readonly PathSegment[],
  message: string,
  hint?: string,
  /** Point at the key rather than the value (unknown keys). */
  opts?: { atKey?: boolean },
];

/**
 * Collects diagnostics with their positions and remembers which paths held a bad value, so that
 * later checks skip them instead of piling a second error onto the same mistake.
 */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  readonly badPaths = new Set<string>();

  constructor(
    readonly file: string,
    readonly source: SourceMap,
  ) {}

  report(severity: Severity, ...[code, path, message, hint, opts = {}]: ReportArgs): void {
    const pos = opts.atKey ? this.source.keyPosition(path) : this.source.valuePosition(path);
    this.diagnostics.push({ code, severity, path: formatPath(path), message, hint, file: this.file, ...pos });
    if (severity === 'error') this.badPaths.add(formatPath(path));
  }

  error(...args: ReportArgs): void {
    this.report('error', ...args);
  }

  warning(...args: ReportArgs): void {
    this.report('warning', ...args);
  }

  /** True when the value at `path` (or one of its parents) was already reported as wrong. */
  isBad(path: readonly PathSegment[]): boolean {
    for (let n = path.length; n > 0; n--) if (this.badPaths.has(formatPath(path.slice(0, n)))) return true;
    return false;
  }
}

function isAbsolute(p: string): boolean {
  return posix.isAbsolute(p) || win32.isAbsolute(p);
}

export function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : posix.join(baseDir, p);
}
