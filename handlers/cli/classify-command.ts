/**
 * @module handlers/cli/classify-command
 * `detectfn classify --model M [--top-k K] IMAGES_OR_DIRS... [--out F.json]`: a classifier's
 * top-k classes (best first) for every image as JSON, to --out or stdout, in detect's shape
 * with `classes` for `detections`. A detector is refused (WRONG_TASK) naming `detectfn detect`.
 */
import { DEFAULT_TOP_K, MAX_TOP_K } from '../../core/classify/index.js';
import { integerFlag, parseCommand, requiredFlag, stringFlag } from './args.js';
import { runImageCommand } from './image-command.js';
import { classifyFiles } from './run-images.js';

export const CLASSIFY_FLAGS = {
  model: { type: 'string', short: 'm' },
  'top-k': { type: 'string', short: 'k' },
  out: { type: 'string', short: 'o' },
} as const;

export async function classifyCommand(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, CLASSIFY_FLAGS);
  const modelPath = requiredFlag(values, 'model');
  const options = { topK: integerFlag(values, 'top-k', 1, MAX_TOP_K, DEFAULT_TOP_K) };
  await runImageCommand({
    task: 'classify', modelPath, inputs: positionals, out: stringFlag(values, 'out'),
    run: (model, files, onDone) => classifyFiles(model, files, options, onDone),
    answer: (r) => ({ classes: r.classes.map((c) => ({ classId: c.classId, label: c.label, score: c.score })) }),
  });
}
