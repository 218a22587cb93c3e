/**
 * @module handlers/cli
 * The `detectfn` command line. Re-exports only; main.ts is the entry point.
 */
export { integerFlag, numberFlag, parseCommand, UsageError } from './args.js';
export { detectCommand, DETECT_FLAGS } from './detect-command.js';
export { classifyCommand, CLASSIFY_FLAGS } from './classify-command.js';
export { EVAL_DEFAULTS, evalCommand, EVAL_FLAGS, formatMap } from './eval-command.js';
export { collectImages, IMAGE_EXTENSIONS } from './images.js';
export { runCli, USAGE } from './run-cli.js';
export { serveCommand, SERVE_FLAGS } from './serve-command.js';
