import type { Command } from 'commander';
import { explain, explainText } from '../../config/explain.ts';
import { EXIT, type Io, outputOption, printDiagnostics } from '../context.ts';
import { loadClusterFile } from '../io.ts';

export function registerExplain(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('explain')
    .description('show the effective config, where each value came from, and derived facts')
    .option('-f, --file <path>', 'cluster file (default ./cluster.yml, else the built-in default)')
    .addOption(outputOption('text or json', ['text', 'json']))
    .addHelpText(
      'after',
      `
Examples:
  netpack explain -f cluster.yml
  netpack explain -f cluster.yml -o json | jq .derived_values.max_nodes   # facts as numbers`,
    )
    .action((opts: { file?: string; output: string }) => {
      const loaded = loadClusterFile(opts.file, (line) => io.stderr(`${line}\n`));
      printDiagnostics(io, loaded.diagnostics);
      if (!loaded.config) return setExit(EXIT.invalid);
      const e = explain(loaded.config, loaded.origins);
      io.stdout(opts.output === 'json' ? `${JSON.stringify(e, null, 2)}\n` : explainText(e));
      setExit(EXIT.ok);
    });
}
