#!/usr/bin/env node
import { handleClosedOutput, run } from './run.ts';

handleClosedOutput(process.argv.slice(2));
process.exitCode = await run(process.argv.slice(2));
