/**
 * A `firewall-cmd` stand-in for install.sh tests: `--permanent` commands go to the real
 * `firewall-offline-cmd` on the firewalld config directory in $FIREWALLD_DIR (so firewalld itself
 * parses every rule), `--state` and `--reload` succeed, anything else fails loudly.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeFirewallCmdStandIn(binDir: string): string {
  const path = join(binDir, 'firewall-cmd');
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      'case "$1" in',
      '  --state | --reload) exit 0 ;;',
      '  --permanent) shift; exec firewall-offline-cmd --system-config "$FIREWALLD_DIR" --default-config /usr/lib/firewalld "$@" ;;',
      'esac',
      'echo "stand-in: unexpected firewall-cmd $*" >&2; exit 9',
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}
