import type { Command } from 'commander';
import { listImagePairs } from '../../render/index.ts';
import { EXIT, type Io } from '../context.ts';
import { readRenderInputs } from '../io.ts';
import { loadAndRender } from './render.ts';

export function registerImages(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('images')
    .description('list the images a config deploys (for mirroring into an air-gapped registry)')
    .option('-f, --file <path>', 'cluster file (default ./cluster.yml, else the built-in default)')
    .option('--upstream', 'print "upstream mirrored" pairs for a mirroring script', false)
    .addHelpText(
      'after',
      `
Examples:
  netpack images -f cluster.yml
  netpack images -f cluster.yml --upstream | while read src dst; do crane copy "$src" "$dst"; done`,
    )
    .action((opts: { file?: string; upstream: boolean }) => {
      const rendered = loadAndRender(opts.file, io, false);
      if (!rendered) return setExit(EXIT.invalid);
      const config = rendered.loaded.config!;
      const pairs = listImagePairs(config, readRenderInputs(config));
      for (const p of pairs) io.stdout(opts.upstream ? `${p.upstream} ${p.mirrored}\n` : `${p.mirrored}\n`);
      setExit(EXIT.ok);
    });
}
