/**
 * Calico's IP address autodetection methods (calico-node's IP_AUTODETECTION_METHOD), checked for
 * shape: the method name, then what it takes. Hand-written because no library knows Calico's
 * syntax; the methods and their arguments follow Calico's "Configure IP autodetection" reference:
 * `first-found`, `kubernetes-internal-ip`, `can-reach=DEST` (an IP address or a host name),
 * `interface=REGEX[,REGEX]`, `skip-interface=REGEX[,REGEX]` and `cidr=CIDR[,CIDR]`.
 * Calico compiles the regular expressions with Go's regexp; JavaScript's syntax is close enough
 * to catch the mistakes that matter (an unclosed bracket or group). Pure.
 */
import { checkAddressOrHostname, parseCidr } from './cidr.ts';

/** Calico's method that takes the node's InternalIP from its Kubernetes Node object. */
export const KUBERNETES_INTERNAL_IP = 'kubernetes-internal-ip';

export type MethodCheck = { ok: true } | { ok: false; reason: string };

function eachPart(value: string, what: string, check: (part: string) => string | undefined): MethodCheck {
  if (value === '') return { ok: false, reason: `nothing after "=": give ${what}` };
  for (const part of value.split(',')) {
    if (part.trim() === '') return { ok: false, reason: `an empty entry in the list (got "${value}")` };
    const problem = check(part.trim());
    if (problem) return { ok: false, reason: problem };
  }
  return { ok: true };
}

function regexProblem(part: string): string | undefined {
  try {
    new RegExp(part);
    return undefined;
  } catch (e) {
    return `"${part}" is not a regular expression (${(e as Error).message.replace(/^Invalid regular expression: /, '')})`;
  }
}

/** Checks one method string, e.g. `can-reach=10.0.0.1` or `interface=eth.*`. */
export function checkAutodetectionMethod(method: string): MethodCheck {
  if (method === 'first-found' || method === KUBERNETES_INTERNAL_IP) return { ok: true };
  const eq = method.indexOf('=');
  const name = eq < 0 ? method : method.slice(0, eq);
  const value = eq < 0 ? '' : method.slice(eq + 1);
  switch (name) {
    case 'can-reach': {
      if (value === '') return { ok: false, reason: 'nothing after "=": give an IP address or host name' };
      const checked = checkAddressOrHostname(value);
      if (checked.ok) return checked;
      return { ok: false, reason: checked.reason ?? `"${value}" is neither an IP address nor a host name` };
    }
    case 'interface':
    case 'skip-interface':
      return eachPart(value, 'interface name regular expressions, comma-separated', regexProblem);
    case 'cidr':
      return eachPart(value, 'CIDRs, comma-separated', (part) => {
        const c = parseCidr(part, { allowV6: true });
        return c.ok ? undefined : c.reason;
      });
    default:
      return {
        ok: false,
        reason: `unknown method "${name}"; Calico knows first-found, kubernetes-internal-ip, can-reach=DEST, interface=REGEX, skip-interface=REGEX, cidr=CIDR`,
      };
  }
}
