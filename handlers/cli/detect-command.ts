/**
 * @module handlers/cli/detect-command
 * `detectfn detect --model M [--conf --iou --max-det] IMAGES_OR_DIRS... [--out F.json]`:
 * detections for every image as JSON, to --out or stdout. A classifier is refused (WRONG_TASK)
 * naming `detectfn classify`.
 */
import { DEFAULT_DETECT_OPTIONS } from '../../core/options/index.js';
import type { DetectResult } from '../../infra/runtime/model-service.js';
import { integerFlag, numberFlag, parseCommand, requiredFlag, stringFlag } from './args.js';
import { runImageCommand } from './image-command.js';
import { detectFiles } from './run-images.js';

export const DETECT_FLAGS = {
  model: { type: 'string', short: 'm' },
  conf: { type: 'string' },
  iou: { type: 'string' },
  'max-det': { type: 'string' },
  out: { type: 'string', short: 'o' },
} as const;

const detections = (r: DetectResult) => ({ detections: r.detections.map((d) => ({ box: d.box, score: d.score, classId: d.classId, label: d.label })) });

export async function detectCommand(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, DETECT_FLAGS);
  const modelPath = requiredFlag(values, 'model');
  const options = {
    conf: numberFlag(values, 'conf', 0, 1, DEFAULT_DETECT_OPTIONS.conf),
    iou: numberFlag(values, 'iou', 0, 1, DEFAULT_DETECT_OPTIONS.iou),
    maxDet: integerFlag(values, 'max-det', 1, 10000, DEFAULT_DETECT_OPTIONS.maxDet),
  };
  await runImageCommand({
    task: 'detect', modelPath, inputs: positionals, out: stringFlag(values, 'out'),
    run: (model, files, onDone) => detectFiles(model, files, options, onDone),
    answer: detections,
  });
}
