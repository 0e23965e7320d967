/**
 * Positions for diagnostics about one file of a set: a locator over the file's YAML text, and
 * the paths the operator wrote the options at (from the loader's origins). Pure: text in.
 */
import { LineCounter, parseDocument } from 'yaml';
import type { Diagnostic } from '../config/diagnostics.ts';
import { type PathSegment, type Position, SourceMap } from '../config/positions.ts';
import type { Origin } from '../config/types.ts';

/** A function from an option path to its position in `text`. */
export function sourceLocator(text: string): (path: readonly PathSegment[]) => Position {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const map = new SourceMap(doc, lineCounter);
  return (path) => map.valuePosition(path);
}

/** Splits a formatted path (`hosts[2].address`) back into segments. */
export function parsePath(formatted: string): PathSegment[] {
  const out: PathSegment[] = [];
  for (const part of formatted.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** `written(canonical)` from the loader's origins: the path the file set the option at. */
export function writtenPaths(
  origins: Record<string, Origin>,
): (canonical: string) => PathSegment[] | undefined {
  return (canonical) => {
    const o = origins[canonical];
    return o && o.from === 'file' ? parsePath(o.path) : undefined;
  };
}

/** Fills in line and column of diagnostics that name a path but no position. */
export function positionDiagnostics(diagnostics: readonly Diagnostic[], text: string): Diagnostic[] {
  const unplaced = (d: Diagnostic) => d.line === undefined && d.path;
  // Placing parses the file again (a third of a large file's run): only when there is something to place.
  if (!diagnostics.some(unplaced)) return [...diagnostics];
  const locate = sourceLocator(text);
  return diagnostics.map((d) => (unplaced(d) ? { ...d, ...locate(parsePath(d.path)) } : d));
}
