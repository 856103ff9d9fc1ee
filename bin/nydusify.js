#!/usr/bin/env node
// Entry point of the `nydusify` command; the program lives in dist/cli/main.js.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
