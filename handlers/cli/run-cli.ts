/**
 * @module handlers/cli/run-cli
 * `runCli(argv)`: dispatch to serve, detect, classify, inspect, eval, batch or sqs and map failures to exit codes: 0 success,
 * 1 a runtime failure (model load, unreadable image), 2 a usage error (bad or missing flag).
 */
import { DetectError } from '../../core/errors/index.js';
import { UsageError } from './args.js';

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
  serve: async () => (await import('./serve-command.js')).serveCommand,
  detect: async () => (await import('./detect-command.js')).detectCommand,
  classify: async () => (await import('./classify-command.js')).classifyCommand,
  eval: async () => (await import('./eval-command.js')).evalCommand,
  inspect: async () => (await import('./inspect-command.js')).inspectCommand,
  batch: async () => (await import('./batch-command.js')).batchCommand,
  sqs: async () => (await import('./sqs-command.js')).sqsCommand,
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
