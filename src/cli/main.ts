#!/usr/bin/env node
import { handleClosedOutput, run } from './run.ts';

handleClosedOutput();
process.exitCode = await run(process.argv.slice(2));
