#!/usr/bin/env node
import { main } from '../app/cli/main.js';

// The entry point: everything else is in app/ (app/cli/main.ts lists the subcommands). A
// failure names what failed: the broker's start, or the subcommand (`msgxc import: failed: ..`).
const argv = process.argv.slice(2);
const command = argv[0] ?? 'start';
const failed = command === 'start' || command === 'reactors' ? 'failed to start' : `${command}: failed`;
main(argv).catch((e: unknown) => {
  process.stderr.write(`msgxc: ${failed}: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
