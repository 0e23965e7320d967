/**
 * A small checker for the firewalld XML netpack writes: well-formed XML (one root, balanced
 * tags, quoted attributes, known entities) and only the elements and attributes firewalld's
 * parsers accept for services and ipsets (firewalld 1.x `core/io/service.py`, `ipset.py`), with
 * their values checked the way firewalld checks them (ports, tcp/udp, protocol, ipset type).
 */

import { overlaps, parseCidr } from '../config/cidr.ts';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;

function decode(text: string, problems: string[]): string {
  return text.replace(/&([^;\s]*);?/g, (m, ref: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (!m.endsWith(';')) {
      problems.push(`bare "&" (write &amp;)`);
      return m;
    }
    if (ref in named) return named[ref]!;
    const num = /^#(x[0-9a-fA-F]+|\d+)$/.exec(ref);
    if (num) return String.fromCodePoint(Number(ref.startsWith('#x') ? `0${ref.slice(1)}` : ref.slice(1)));
    problems.push(`unknown entity &${ref};`);
    return m;
  });
}

/** Parses `xml`; problems name what is not well-formed. */
export function parseXml(xml: string): { root?: XmlElement; problems: string[] } {
  const problems: string[] = [];
  let i = 0;
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) return { problems: ['unterminated XML declaration'] };
    i = end + 2;
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (stack.length > 0) stack[stack.length - 1]!.text += decode(text, problems);
    else if (text.trim() !== '')
      problems.push(`text outside the root element: ${JSON.stringify(text.trim())}`);
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt);
      if (end < 0) return { problems: [...problems, 'unterminated comment'] };
      i = end + 3;
      continue;
    }
    const gt = xml.indexOf('>', lt);
    if (gt < 0) return { problems: [...problems, 'unterminated tag'] };
    let tag = xml.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (!open || open.name !== name)
        problems.push(`</${name}> does not close <${open?.name ?? 'nothing'}>`);
      i = gt + 1;
      continue;
    }
    const selfClosing = tag.endsWith('/');
    if (selfClosing) tag = tag.slice(0, -1);
    const nameMatch = NAME.exec(tag);
    if (!nameMatch) {
      problems.push(`bad tag <${tag}>`);
      i = gt + 1;
      continue;
    }
    const el: XmlElement = { name: nameMatch[0], attrs: {}, children: [], text: '' };
    let rest = tag.slice(nameMatch[0].length);
    while (rest.trim() !== '') {
      const m = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(rest);
      if (!m) {
        problems.push(`bad attributes in <${el.name}>: ${JSON.stringify(rest.trim())}`);
        break;
      }
      if (m[1]! in el.attrs) problems.push(`attribute ${m[1]} repeated in <${el.name}>`);
      el.attrs[m[1]!] = decode(m[3] ?? m[4] ?? '', problems);
      rest = rest.slice(m[0].length);
    }
    if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
    else if (root) problems.push(`second root element <${el.name}>`);
    else root = el;
    if (!selfClosing) stack.push(el);
    i = gt + 1;
  }
  for (const open of stack) problems.push(`<${open.name}> is never closed`);
  if (!root) problems.push('no root element');
  return root ? { root, problems } : { problems };
}

interface Allowed {
  [element: string]: { required: string[]; optional: string[]; text?: boolean };
}

const SERVICE: Allowed = {
  short: { required: [], optional: [], text: true },
  description: { required: [], optional: [], text: true },
  port: { required: ['port', 'protocol'], optional: [] },
  protocol: { required: ['value'], optional: [] },
  'source-port': { required: ['port', 'protocol'], optional: [] },
  module: { required: ['name'], optional: [] },
  destination: { required: [], optional: ['ipv4', 'ipv6'] },
  include: { required: ['service'], optional: [] },
  helper: { required: ['name'], optional: [] },
};

const IPSET: Allowed = {
  short: { required: [], optional: [], text: true },
  description: { required: [], optional: [], text: true },
  option: { required: ['name'], optional: ['value'] },
  entry: { required: [], optional: [], text: true },
};

const IPSET_TYPES = [
  'hash:ip',
  'hash:ip,port',
  'hash:ip,port,ip',
  'hash:ip,port,net',
  'hash:ip,mark',
  'hash:net',
  'hash:net,net',
  'hash:net,port',
  'hash:net,port,net',
  'hash:net,iface',
  'hash:mac',
];

function checkPort(port: string): string | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(port);
  if (!m) return `port "${port}" is not N or N-M`;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start < 1 || end > 65535 || start > end) return `port "${port}" is outside 1..65535 or reversed`;
  return undefined;
}

function checkChildren(root: XmlElement, allowed: Allowed, problems: string[]): void {
  for (const child of root.children) {
    const rule = allowed[child.name];
    if (!rule) {
      problems.push(`<${child.name}> is not allowed in <${root.name}>`);
      continue;
    }
    for (const a of rule.required)
      if (!(a in child.attrs)) problems.push(`<${child.name}> needs attribute ${a}`);
    for (const a of Object.keys(child.attrs))
      if (!rule.required.includes(a) && !rule.optional.includes(a))
        problems.push(`<${child.name}> has unknown attribute ${a}`);
    if (child.children.length > 0) problems.push(`<${child.name}> must not contain elements`);
    if (!rule.text && child.text.trim() !== '') problems.push(`<${child.name}> must be empty`);
  }
  for (const single of ['short', 'description'])
    if (root.children.filter((c) => c.name === single).length > 1) problems.push(`<${single}> appears twice`);
}

/** Problems in a firewalld service file; empty when firewalld would load it. */
export function checkServiceXml(xml: string): string[] {
  const { root, problems } = parseXml(xml);
  if (!root) return problems;
  if (root.name !== 'service') return [...problems, `root element is <${root.name}>, expected <service>`];
  for (const a of Object.keys(root.attrs))
    if (!['name', 'version'].includes(a)) problems.push(`<service> has unknown attribute ${a}`);
  checkChildren(root, SERVICE, problems);
  for (const c of root.children) {
    if (c.name === 'port' || c.name === 'source-port') {
      const p = checkPort(c.attrs.port ?? '');
      if (p) problems.push(p);
      if (!['tcp', 'udp', 'sctp', 'dccp'].includes(c.attrs.protocol ?? ''))
        problems.push(`protocol "${c.attrs.protocol}" of <${c.name}> is not tcp, udp, sctp or dccp`);
    }
    if (c.name === 'protocol') {
      const v = c.attrs.value ?? '';
      if (!(/^\d+$/.test(v) ? Number(v) <= 255 : /^[a-z][a-z0-9.+-]*$/i.test(v)))
        problems.push(`protocol value "${v}" is not a protocol name or a number 0..255`);
    }
  }
  return problems;
}

/** Problems in a firewalld ipset file; empty when firewalld would load it. */
export function checkIpsetXml(xml: string): string[] {
  const { root, problems } = parseXml(xml);
  if (!root) return problems;
  if (root.name !== 'ipset') return [...problems, `root element is <${root.name}>, expected <ipset>`];
  for (const a of Object.keys(root.attrs))
    if (!['type', 'version'].includes(a)) problems.push(`<ipset> has unknown attribute ${a}`);
  if (!IPSET_TYPES.includes(root.attrs.type ?? ''))
    problems.push(`ipset type "${root.attrs.type}" is unknown`);
  checkChildren(root, IPSET, problems);
  for (const c of root.children) {
    if (c.name === 'option' && !['family', 'timeout', 'hashsize', 'maxelem'].includes(c.attrs.name ?? ''))
      problems.push(`ipset option "${c.attrs.name}" is unknown`);
    if (c.name === 'entry' && root.attrs.type === 'hash:net') {
      const e = c.text.trim();
      if (!/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(e))
        problems.push(`entry "${e}" is not an IPv4 address or network`);
    }
  }
  if (root.attrs.type === 'hash:net')
    problems.push(...overlapping(root.children.filter((c) => c.name === 'entry').map((c) => c.text.trim())));
  return problems;
}

/**
 * firewalld refuses to load a hash:net set whose entries overlap (`check_for_overlapping_entries`
 * when it applies the set; `--check-config` does not look), and the kernel wants no host bits.
 */
function overlapping(entries: string[]): string[] {
  const problems: string[] = [];
  const cidrs = entries.map((e) => parseCidr(e.includes('/') ? e : `${e}/32`));
  cidrs.forEach((c, i) => {
    if (!c.ok) problems.push(`entry "${entries[i]}": ${c.reason}`);
  });
  for (let i = 0; i < cidrs.length; i++)
    for (let j = i + 1; j < cidrs.length; j++) {
      const a = cidrs[i]!;
      const b = cidrs[j]!;
      if (a.ok && b.ok && overlaps(a.value, b.value))
        problems.push(`entries "${entries[i]}" and "${entries[j]}" overlap`);
    }
  return problems;
}
