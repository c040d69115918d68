#!/usr/bin/env node
import { main } from '../app/cli/main.js';

// The entry point: everything else is in app/ (app/cli/main.ts lists the subcommands).
main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`msgxc: failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
