/**
 * Runs several netpack command lines one after another in this process and prints their results
 * as JSON: for tests that must run the CLI in a child process (an input that could block a read
 * for ever would stop the test process itself), at the cost of one start-up instead of one each.
 * Usage: node --import tsx test/support/cli-batch.ts '[["validate","-f","x"], ...]'
 */
import { runCli } from './cli.ts';

const batches = JSON.parse(process.argv[2] ?? '[]') as string[][];
const results = [];
for (const argv of batches) results.push(await runCli(...argv));
process.stdout.write(JSON.stringify(results));
