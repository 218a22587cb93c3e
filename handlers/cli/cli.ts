/**
 * @module handlers/cli/cli
 * The `detectfn` command line: `runCli(argv)` dispatches to serve, detect, classify, inspect,
 * eval, batch or sqs, and maps failures to exit codes: 0 success, 1 a runtime failure (model
 * load, unreadable image), 2 a usage error (bad or missing flag: a UsageError, printed with the
 * usage text).
 *
 * Also what every command shares for its flags: node:util parseArgs with errors that name the
 * bad flag, the option flags read through core/options' one parser (so `--max-det` is checked
 * exactly as `max_det` is over HTTP), and the stderr logger of the one-shot commands.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DetectError, expectInteger } from '../../core/errors.js';
import { type ClassifyOptions, DEFAULT_CLASSIFY_OPTIONS, type DetectOptions, parseClassifyParams, parseDetectParams } from '../../core/options.js';
import { createLogger, type Logger, logLevelFromEnv } from '../../infra/config.js';

export const USAGE = `Usage:
  detectfn serve [--model M]... [--port P] [--host H]
  detectfn detect --model M [--conf C] [--iou I] [--max-det N] IMAGES_OR_DIRS... [--out F.json]
  detectfn classify --model M [--top-k K] IMAGES_OR_DIRS... [--out F.json]
  detectfn inspect --model M IMAGE [--view OUT.png] [--compare TENSOR.npy]...
  detectfn eval --model M --images DIR --labels DIR [--conf 0.001] [--iou 0.7] [--max-det 300] [--json]
  detectfn batch s3://bucket/prefix|DIR --out s3://bucket/results/|DIR [--errors LOC] [--model M] [--concurrency N] [--max-object-bytes B] [--top-k K]
  detectfn sqs --queue URL [--out s3://bucket/results/] [--errors LOC] [--model M]... [--port P] [--host H]

M is a model manifest (.json) or an .onnx file: detect and eval take detectors, classify takes
classifiers; batch and sqs take either (a classifier's results hold its top-k classes).
serve also reads PORT, HOST, DETECTFN_MODELS.`;

// Loaded on use: `detect` never loads the HTTP server, `serve` never the metric code.
const COMMANDS: Record<string, () => Promise<(argv: readonly string[]) => Promise<unknown>>> = {
  serve: async () => (await import('./serve.js')).serveCommand,
  detect: async () => (await import('./images.js')).detectCommand,
  classify: async () => (await import('./images.js')).classifyCommand,
  eval: async () => (await import('./images.js')).evalCommand,
  inspect: async () => (await import('./inspect.js')).inspectCommand,
  batch: async () => (await import('./batch.js')).batchCommand,
  sqs: async () => (await import('./serve.js')).sqsCommand,
};

export async function runCli(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  try {
    if (command === undefined) throw new UsageError(`unknown command '${name}' (expected serve, detect, classify, inspect, eval, batch or sqs)`);
    await (await command())(rest);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`detectfn: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    const msg = err instanceof DetectError ? `${err.code}: ${err.message}` : (err as Error).message;
    process.stderr.write(`detectfn ${name}: ${msg}\n`);
    return 1;
  }
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

export function parseCommand(argv: readonly string[], options: OptionSpec): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    // Node's messages already name the flag: "Unknown option '--foo'", "Option '--port <value>' argument missing".
    throw new UsageError((err as Error).message);
  }
}

/** Runs a check whose error is the command line's fault: a UsageError (exit 2) with the same message. */
export function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `--max-det` carries the option whose wire name is max_det, and errors name the flag. */
const flagLabel = (wireName: string) => `--${wireName.replace(/_/g, '-')}`;
const wireFields = (values: ParsedArgs['values'], flags: readonly string[]) =>
  Object.fromEntries(flags.filter((f) => values[f] !== undefined).map((f) => [f.replace(/-/g, '_'), values[f]]));

/** --conf, --iou and --max-det over `base`, through core/options' one parser. */
export function detectOptionFlags(values: ParsedArgs['values'], base: DetectOptions): DetectOptions {
  return asUsage(() => parseDetectParams(wireFields(values, ['conf', 'iou', 'max-det']), base, { label: flagLabel }).options);
}

/** --top-k over the default (5), through core/options' one parser. */
export function classifyOptionFlags(values: ParsedArgs['values']): ClassifyOptions {
  return asUsage(() => parseClassifyParams(wireFields(values, ['top-k']), DEFAULT_CLASSIFY_OPTIONS, { label: flagLabel }).options);
}

export function integerFlag(values: ParsedArgs['values'], name: string, min: number, max: number, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = toNumber(raw);
  return asUsage(() => expectInteger(`--${name}`, n, min, max));
}

export function stringFlag(values: ParsedArgs['values'], name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}

export function requiredFlag(values: ParsedArgs['values'], name: string): string {
  const v = stringFlag(values, name);
  if (v === undefined || v === '') throw new UsageError(`missing required option --${name}`);
  return v;
}

/** "abc" stays "abc" (not NaN) so the error shows what was typed. */
function toNumber(raw: unknown): unknown {
  if (typeof raw !== 'string' || raw.trim() === '') return raw;
  const n = Number(raw);
  return Number.isNaN(n) ? raw : n;
}

/** The logger of the one-shot commands: stderr (stdout carries their JSON), quiet by default. */
export function cliLogger(): Logger {
  return createLogger({ level: logLevelFromEnv(process.env, 'warn'), destination: process.stderr });
}
