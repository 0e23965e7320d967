import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { hasErrors } from '../../config/diagnostics.ts';
import type { ClusterConfig } from '../../config/types.ts';
import { findHost, planFirewall } from '../../firewall/index.ts';
import { EXIT, type Io, printDiagnostics } from '../context.ts';
import { loadClusterFile, UsageError } from '../io.ts';

/** Each host as `address (private_address, name)`, the names `--host` accepts. */
function knownHosts(config: ClusterConfig): string {
  const raw = Array.isArray(config.raw.hosts) ? (config.raw.hosts as Record<string, unknown>[]) : [];
  return config.hosts
    .map((h, i) => {
      const names = [h.private_address, raw[i]?.name, raw[i]?.hostname].filter(
        (n): n is string => typeof n === 'string' && n !== '' && n !== h.address,
      );
      return names.length > 0 ? `${h.address} (${names.join(', ')})` : h.address;
    })
    .join(', ');
}

export function registerFirewall(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('firewall')
    .description('generate the firewalld service, ipset and install script for the cluster hosts')
    .option('-f, --file <path>', 'cluster file (default ./cluster.yml, else the built-in default)')
    .option('--host <name>', 'only the files for this host (address, private_address, name or hostname)')
    .option('--out-dir <dir>', 'write services/, ipsets/ and install.sh here instead of printing them')
    .addHelpText(
      'after',
      `
Examples:
  netpack firewall -f cluster.yml                       # print every file
  netpack firewall -f cluster.yml --host 10.0.0.2 --out-dir fw/ && scp -r fw/ 10.0.0.2: 

Exit status: 0 generated (warnings allowed), 1 invalid config, 2 usage error (such as an unknown --host).`,
    )
    .action((opts: { file?: string; host?: string; outDir?: string }) => {
      const loaded = loadClusterFile(opts.file, (line) => io.stderr(`${line}\n`));
      printDiagnostics(io, loaded.diagnostics);
      if (!loaded.config) return setExit(EXIT.invalid);
      // A --host the file does not list is a mistake in the command, not in the file.
      if (opts.host !== undefined && !findHost(loaded.config, opts.host))
        throw new UsageError(
          loaded.config.hosts.length === 0
            ? `--host ${opts.host}: ${loaded.file} lists no hosts`
            : `--host ${opts.host}: no such host in ${loaded.file}; known hosts: ${knownHosts(loaded.config)}`,
        );
      const plan = planFirewall(loaded.config, opts.host === undefined ? {} : { host: opts.host });
      printDiagnostics(io, loaded.source.place(plan.diagnostics));
      if (hasErrors(plan.diagnostics)) return setExit(EXIT.invalid);
      if (opts.outDir) {
        for (const f of plan.files) {
          const path = join(opts.outDir, f.path);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, f.content);
          chmodSync(path, f.mode);
        }
        io.stderr(`netpack: wrote ${plan.files.length} files to ${opts.outDir}\n`);
      } else {
        io.stdout(plan.files.map((f) => `# ==> ${f.path} <==\n${f.content}`).join('\n'));
      }
      setExit(EXIT.ok);
    });
}
