#!/usr/bin/env node
// The `stateward` CLI. Node 24 runs the TypeScript sources directly (type stripping).
import { runCli } from '../electron/cli/main.ts';

process.exitCode = await runCli(process.argv.slice(2));
