/**
 * Map keys that name a property every JavaScript object has. Read into a plain object and then
 * assigned (`result[key] = value`, as schema libraries do), `__proto__` replaces the object's
 * prototype instead of adding a key: the value escapes every check, and `constructor` or
 * `prototype` shadow what code expects there. No option, label or template variable is called
 * that, so such a key is refused with its position wherever netpack reads a map.
 */
import { type Document, isPair, isScalar, visit } from 'yaml';

export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface ForbiddenKey {
  key: string;
  /** Offset of the key in the parsed text. */
  offset: number;
  /** The keys of the maps above it, outermost first (list items add nothing). */
  parents: string[];
}

/** Every forbidden map key of `doc` whose parent keys `where` accepts (all, by default). */
export function forbiddenKeys(
  doc: Document,
  where: (parents: readonly string[]) => boolean = () => true,
): ForbiddenKey[] {
  const found: ForbiddenKey[] = [];
  visit(doc, {
    Pair(_, pair, path) {
      if (!isScalar(pair.key) || !FORBIDDEN_KEYS.has(String(pair.key.value))) return;
      const parents = path.filter(isPair).map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
      if (where(parents))
        found.push({ key: String(pair.key.value), offset: pair.key.range?.[0] ?? 0, parents });
    },
  });
  return found;
}

/** The message for one, the same wherever it is found. */
export function forbiddenKeyMessage(key: string): string {
  return `key "${key}" is not allowed: it names a property of every JavaScript object, so its value could not be checked`;
}
