import type { Command } from 'commander';
import { completionScript, SHELLS, type Shell } from '../completion.ts';
import { EXIT, type Io } from '../context.ts';

export function registerCompletion(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .addArgument(program.createArgument('<shell>', 'bash, zsh or fish').choices(SHELLS))
    .addHelpText(
      'after',
      `
Examples:
  source <(netpack completion bash)                  # this shell; add it to ~/.bashrc to keep it
  netpack completion zsh > "\${fpath[1]}/_netpack"
  netpack completion fish > ~/.config/fish/completions/netpack.fish`,
    )
    .action((shell: string) => {
      io.stdout(completionScript(shell as Shell, program));
      setExit(EXIT.ok);
    });
}
