import type { Command } from 'commander';
import { hasErrors } from '../../config/diagnostics.ts';
import { EXIT, type Io, printDiagnostics, summary } from '../context.ts';
import { loadClusterFile } from '../io.ts';

export function registerValidate(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('check cluster files and report every problem with its position')
    .option('-f, --file <path...>', 'cluster file(s) (default ./cluster.yml)')
    .option('-o, --output <format>', 'text or json', 'text')
    .addHelpText(
      'after',
      `
Examples:
  netpack validate -f cluster.yml
  netpack validate -f cluster.yml -o json | jq '.[].diagnostics'

Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error or unreadable file.`,
    )
    .action((opts: { file?: string[]; output: string }) => {
      const files = opts.file ?? [undefined];
      const results = files.map((f) => loadClusterFile(f, (line) => io.stderr(`${line}\n`)));
      let invalid = false;
      for (const r of results) {
        invalid ||= hasErrors(r.diagnostics);
        if (opts.output !== 'json') {
          printDiagnostics(io, r.diagnostics);
          io.stderr(`${r.file}: ${hasErrors(r.diagnostics) ? 'invalid' : 'valid'} (${summary(r.diagnostics)})\n`);
        }
      }
      if (opts.output === 'json') {
        const out = results.map((r) => ({ file: r.file, valid: !hasErrors(r.diagnostics), diagnostics: r.diagnostics }));
        io.stdout(`${JSON.stringify(out, null, 2)}\n`);
      }
      setExit(invalid ? EXIT.invalid : EXIT.ok);
    });
}
