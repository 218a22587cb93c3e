#!/usr/bin/env node
/**
 * @module handlers/cli/main
 * The `detectfn` entry point (bundled to dist/cli.js). serve keeps the process alive; detect
 * and eval exit once their output is written, even if a worker thread is slow to wind down.
 */
import { runCli } from './run-cli.js';

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  if (code !== 0 || process.argv[2] !== 'serve') setImmediate(() => process.exit(code));
});
