#!/usr/bin/env node
/**
 * @module handlers/cli/main
 * The `detectfn` entry point (bundled to dist/cli.js; handlers/cli/cli runs the commands). serve
 * and sqs keep the process alive; the one-shot commands (detect, classify, eval, inspect, batch)
 * exit once their output is written, even if a worker thread is slow to wind down.
 */
import { runCli } from './cli.js';

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  if (code !== 0 || !['serve', 'sqs'].includes(process.argv[2] ?? '')) setImmediate(() => process.exit(code));
});
