/**
 * Runs test/helpers/inspect_reference.py: the model-input tensors a Python training pipeline
 * (cv2 + numpy, Ultralytics LetterBox) saves with np.save, correct and with the classic mistakes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findCv2Python } from './cv2-reference.js';
import { repoRoot } from './shared-data.js';

export const VARIANTS = ['ok', 'fp16', 'no255', 'bgr', 'shift'] as const;
export type Variant = (typeof VARIANTS)[number];

/** The .npy path of each variant for `image` letterboxed to `size`, in a fresh temp folder. */
export function pythonReferenceTensors(image: string, size: number): Record<Variant, string> {
  const python = findCv2Python();
  if (!python) throw new Error('python3 with cv2 and numpy is required for this test: run scripts/install-system-deps.sh (python3-opencv python3-numpy)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'detectfn-npy-'));
  execFileSync(python, [path.join(repoRoot, 'test/helpers/inspect_reference.py'), dir, String(size), image], { stdio: ['ignore', 'ignore', 'inherit'] });
  return Object.fromEntries(VARIANTS.map((v) => [v, path.join(dir, `${v}.npy`)])) as Record<Variant, string>;
}
