import type { Command } from 'commander';
import { networkJsonSchema } from '../../config/schema.ts';
import type { Io } from '../context.ts';

export function registerSchema(program: Command, io: Io): void {
  program
    .command('schema')
    .description('print the JSON Schema of the network: section (for editors)')
    .addHelpText(
      'after',
      `
Examples:
  netpack schema > network.schema.json
  # in VS Code with the YAML extension, reference it from settings.json "yaml.schemas"`,
    )
    .action(() => {
      io.stdout(`${JSON.stringify(networkJsonSchema(), null, 2)}\n`);
    });
}
