import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { hasErrors } from '../../config/diagnostics.ts';
import { planFirewall } from '../../firewall/index.ts';
import { positionDiagnostics } from '../../multicluster/index.ts';
import { EXIT, type Io, printDiagnostics } from '../context.ts';
import { loadClusterFile } from '../io.ts';

export function registerFirewall(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('firewall')
    .description('generate the firewalld service, ipset and install script for the cluster hosts')
    .option('-f, --file <path>', 'cluster file (default ./cluster.yml)')
    .option('--host <name>', 'only the files for this host (address, private_address, name or hostname)')
    .option('--out-dir <dir>', 'write services/, ipsets/ and install.sh here instead of printing them')
    .addHelpText(
      'after',
      `
Examples:
  netpack firewall -f cluster.yml                       # print every file
  netpack firewall -f cluster.yml --host 10.0.0.2 --out-dir fw/ && scp -r fw/ 10.0.0.2: 

Exit status: 0 generated (warnings allowed), 1 invalid config or unknown host, 2 usage error.`,
    )
    .action((opts: { file?: string; host?: string; outDir?: string }) => {
      const loaded = loadClusterFile(opts.file, (line) => io.stderr(`${line}\n`));
      printDiagnostics(io, loaded.diagnostics);
      if (!loaded.config) return setExit(EXIT.invalid);
      const plan = planFirewall(loaded.config, opts.host === undefined ? {} : { host: opts.host });
      const text = loaded.builtInDefault ? '' : readFileSync(loaded.file, 'utf8');
      printDiagnostics(io, positionDiagnostics(plan.diagnostics, text));
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
