#!/usr/bin/env node
// The `stateward` CLI. Node 24 runs the TypeScript sources directly (type stripping).
import { runCli } from '../electron/cli/main.ts';

// The reader going away (`stateward deploy show 7 | head`): the rest of the output is
// dropped, the command ends as it would have; not an unhandled EPIPE and a stack trace.
for (const out of [process.stdout, process.stderr])
  out.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
  });

process.exitCode = await runCli(process.argv.slice(2));
