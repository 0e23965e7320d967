/**
 * firewalld's XML files for services and ipsets, written by hand: the formats are tiny and a
 * fixed layout keeps the output byte-for-byte stable.
 */

/** Escapes text for an XML attribute value or element body. */
export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const HEADER = '<?xml version="1.0" encoding="utf-8"?>\n';

export interface ServiceXml {
  short: string;
  description: string;
  ports: { port: string; protocol: 'tcp' | 'udp' }[];
  /** IP protocol names or numbers. */
  protocols?: string[];
}

/** A firewalld service (`/etc/firewalld/services/NAME.xml`). */
export function serviceXml(s: ServiceXml): string {
  const lines = [
    '<service>',
    `  <short>${xmlEscape(s.short)}</short>`,
    `  <description>${xmlEscape(s.description)}</description>`,
    ...s.ports.map((p) => `  <port protocol="${xmlEscape(p.protocol)}" port="${xmlEscape(p.port)}"/>`),
    ...(s.protocols ?? []).map((p) => `  <protocol value="${xmlEscape(p)}"/>`),
    '</service>',
  ];
  return `${HEADER}${lines.join('\n')}\n`;
}

export interface IpsetXml {
  short: string;
  description: string;
  type: 'hash:net' | 'hash:ip';
  family?: 'inet' | 'inet6';
  entries: string[];
}

/** A firewalld ipset (`/etc/firewalld/ipsets/NAME.xml`). */
export function ipsetXml(s: IpsetXml): string {
  const lines = [
    `<ipset type="${s.type}">`,
    `  <short>${xmlEscape(s.short)}</short>`,
    `  <description>${xmlEscape(s.description)}</description>`,
    ...(s.family ? [`  <option name="family" value="${s.family}"/>`] : []),
    ...s.entries.map((e) => `  <entry>${xmlEscape(e)}</entry>`),
    '</ipset>',
  ];
  return `${HEADER}${lines.join('\n')}\n`;
}
