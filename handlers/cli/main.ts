#!/usr/bin/env node
/**
 * @module handlers/cli/main
 * The `detectfn` entry point (bundled to dist/cli.js). serve and sqs keep the process alive; detect
 * and eval exit once their output is written, even if a worker thread is slow to wind down.
 */
import { runCli } from './cli.js';

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  if (code !== 0 || !['serve', 'sqs'].includes(process.argv[2] ?? '')) setImmediate(() => process.exit(code));
});
