/**
 * Runs test/helpers/cv2_reference.py (OpenCV, the reference preprocessing) when a Python with
 * cv2 is installed (Debian python3-opencv; scripts/install-system-deps.sh installs it). Used
 * by the fidelity regression test and scripts/image-fidelity.ts; never at runtime.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './shared-data.js';

export interface Cv2Row {
  readonly image: string;
  readonly source: { width: number; height: number };
  readonly resized?: { width: number; height: number };
  readonly pad?: { left: number; top: number; right: number; bottom: number };
  /** HWC RGB pixels: the letterboxed image, or the full-size decode. */
  readonly pixels: Uint8Array;
}

const CANDIDATES = ['/usr/bin/python3', 'python3'];

/** A Python interpreter that can import cv2, or undefined. */
export function findCv2Python(): string | undefined {
  for (const py of CANDIDATES) {
    try {
      execFileSync(py, ['-c', 'import cv2, numpy'], { stdio: 'ignore' });
      return py;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

export function runCv2Reference(python: string, mode: 'letterbox' | 'decode', images: string[], size = 640): Cv2Row[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'detectfn-cv2-'));
  const script = path.join(repoRoot, 'test/helpers/cv2_reference.py');
  const args = mode === 'letterbox' ? [script, mode, dir, String(size), ...images] : [script, mode, dir, ...images];
  try {
    const out = execFileSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    return parseRows(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseRows(out: string): Cv2Row[] {
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const row = JSON.parse(line) as Omit<Cv2Row, 'pixels'> & { file: string };
      return { ...row, pixels: new Uint8Array(readFileSync(row.file)) };
    });
}

/** Mean and largest absolute difference of two equally long pixel arrays (levels 0..255). */
export function pixelDiff(a: Uint8Array, b: Uint8Array): { mad: number; max: number } {
  let sum = 0, max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    max = Math.max(max, d);
  }
  return { mad: sum / a.length, max };
}
