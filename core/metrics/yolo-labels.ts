/**
 * @module core/metrics/yolo-labels
 * Parses a YOLO-format label file (`class cx cy w h` per line, normalized to 0..1) into pixel
 * xyxy boxes for an image of the given size, as Ultralytics' validator scales them.
 */
import { DetectError } from '../errors/index.js';
import type { Size } from '../types.js';
import type { EvalLabel } from './map.js';

/** `source` names the file in error messages. */
export function parseYoloLabels(text: string, size: Size, source = 'labels'): EvalLabel[] {
  const out: EvalLabel[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const fields = line.trim().split(/\s+/);
    if (fields.length === 1 && fields[0] === '') return;
    const nums = fields.map(Number);
    if (fields.length < 5 || nums.some((n) => !Number.isFinite(n)) || !Number.isInteger(nums[0]) || nums[0] < 0) {
      throw new DetectError('INVALID_ARGUMENT', `${source}:${i + 1}: expected "class cx cy w h", got "${line.trim()}"`);
    }
    const [classId, cx, cy, w, h] = nums;
    out.push({
      classId,
      box: [(cx - w / 2) * size.width, (cy - h / 2) * size.height, (cx + w / 2) * size.width, (cy + h / 2) * size.height],
    });
  });
  return out;
}
