/**
 * A YAML emitter for JSON-shaped data (what Kubernetes objects are), written for speed: the
 * `yaml` library's stringify needs ~150 ms cold for a Calico render (its CRDs are ~8,000 lines),
 * which alone would put `netpack render` over its start-up budget. This one needs a few ms.
 *
 * It is deliberately conservative: a string is written plain only when no YAML 1.1 or 1.2
 * reader could take it for anything else (kubectl reads YAML 1.1, editors 1.2), multi-line
 * strings become literal blocks, and everything else is double-quoted JSON (valid YAML).
 * Tests check that both the `yaml` library's 1.1 and 1.2 readers give back the exact data.
 */

/** Words YAML 1.1 or 1.2 reads as booleans, null or special floats (compared lower-cased: quoting more is harmless). */
const KEYWORDS = new Set([
  'y',
  'yes',
  'n',
  'no',
  'true',
  'false',
  'on',
  'off',
  'null',
  '~',
  '.inf',
  '-.inf',
  '+.inf',
  '.nan',
]);

/** Characters that may appear in a plain scalar here (printable ASCII without quotes and `#`/`:` handled below). */
const PLAIN = /^[A-Za-z0-9_./(\\^$=<+][A-Za-z0-9 _./:=+\-@()[\]{}^$\\,;<>~?*&!|%#]*$/;
/** After a leading `-`, a plain scalar must not look like a number or a sequence entry. */
const DASH_PLAIN = /^-[A-Za-z_][A-Za-z0-9 _./:=+\-@()[\]{}^$\\,;<>~?*&!|%#]*$/;

function isPlainSafe(s: string): boolean {
  if (s === '' || KEYWORDS.has(s.toLowerCase())) return false;
  if (!(PLAIN.test(s) || DASH_PLAIN.test(s))) return false;
  // Numbers, octals, sexagesimals and timestamps all start with a digit (or a sign and digit).
  if (/^[0-9]/.test(s) || /^[-+.][0-9.]/.test(s) || /^[-+.0-9_:]+$/.test(s)) return false;
  // YAML 1.1 also reads an exponent with no digits before it as a float: `E0`, `e5`, `.e3`.
  if (/^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/.test(s)) return false;
  if (s.endsWith(' ') || s.endsWith(':') || s.includes(': ') || s.includes(' #')) return false;
  // `<<` is the merge key, `=` the YAML 1.1 value key.
  if (s === '<<' || s === '=') return false;
  return true;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/** A literal block (`|`) keeps multi-line text readable; only for text a literal block can hold exactly. */
function literalBlock(s: string, indent: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what a literal block cannot hold
  if (!s.includes('\n') || /[\r\u0000-\u0008\u000b-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(s))
    return undefined;
  if (s.startsWith(' ') || s.startsWith('\n') || s.trim() === '') return undefined;
  const lines = s.split('\n');
  let chomp = '-';
  if (s.endsWith('\n')) {
    lines.pop();
    chomp = s.endsWith('\n\n') ? '+' : '';
  }
  // A trailing line of spaces only could be misread as indentation of the next key.
  if (lines.some((l) => l.length > 0 && l.trim() === '')) return undefined;
  const body = lines.map((l) => (l === '' ? '' : `${indent}${l}`)).join('\n');
  return `|${chomp}\n${body}`;
}

function scalar(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number': {
      if (Number.isNaN(value)) return '.nan';
      if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
      const text = String(value);
      // YAML 1.1 floats need a dot: 1e+21 would read as a string there.
      return /e/i.test(text) && !text.includes('.') ? text.replace(/e/i, '.0e') : text;
    }
    case 'string':
      return isPlainSafe(value) ? value : quote(value);
    default:
      return undefined;
  }
}

function key(k: string): string {
  return isPlainSafe(k) ? k : quote(k);
}

function isEmptyCollection(v: unknown): string | undefined {
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => x === undefined)
  )
    return '{}';
  return undefined;
}

function emitValueAfterKey(v: unknown, indent: string, out: string[]): void {
  const empty = isEmptyCollection(v);
  if (empty) {
    out.push(` ${empty}\n`);
  } else if (Array.isArray(v)) {
    out.push('\n');
    emitSeq(v, `${indent}  `, out);
  } else if (v !== null && typeof v === 'object') {
    out.push('\n');
    emitMap(v as Record<string, unknown>, `${indent}  `, out);
  } else if (typeof v === 'string' && v.includes('\n')) {
    const block = literalBlock(v, `${indent}  `);
    out.push(` ${block ?? quote(v)}\n`);
  } else {
    out.push(` ${scalar(v)}\n`);
  }
}

function emitMap(map: Record<string, unknown>, indent: string, out: string[], first = indent): void {
  let lead = first;
  for (const [k, v] of Object.entries(map)) {
    if (v === undefined) continue;
    out.push(`${lead}${key(k)}:`);
    emitValueAfterKey(v, indent, out);
    lead = indent;
  }
}

function emitSeq(seq: readonly unknown[], indent: string, out: string[], first = indent): void {
  let lead = first;
  for (const item of seq) {
    const v = item === undefined ? null : item;
    const empty = isEmptyCollection(v);
    if (empty) out.push(`${lead}- ${empty}\n`);
    else if (Array.isArray(v)) emitSeq(v, `${indent}  `, out, `${lead}- `);
    else if (v !== null && typeof v === 'object')
      emitMap(v as Record<string, unknown>, `${indent}  `, out, `${lead}- `);
    else if (typeof v === 'string' && v.includes('\n'))
      out.push(`${lead}- ${literalBlock(v, `${indent}  `) ?? quote(v)}\n`);
    else out.push(`${lead}- ${scalar(v)}\n`);
    lead = indent;
  }
}

/** One YAML document for `value` (JSON-shaped data), ending in a newline. */
export function emitYaml(value: unknown): string {
  const out: string[] = [];
  const empty = isEmptyCollection(value);
  if (empty) return `${empty}\n`;
  if (Array.isArray(value)) emitSeq(value, '', out);
  else if (value !== null && typeof value === 'object') emitMap(value as Record<string, unknown>, '', out);
  else if (typeof value === 'string' && value.includes('\n'))
    out.push(`${literalBlock(value, '  ') ?? quote(value)}\n`);
  else out.push(`${scalar(value)}\n`);
  return out.join('');
}
