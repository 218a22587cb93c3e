/**
 * @module scripts/gpu-check/stage
 * Reads the pack on the GPU machine: copies its app/ (bundles + onnxruntime) to a temporary
 * folder and inflates libonnxruntime.so.1 there (the pack is never written to), and loads the
 * letterboxed input images. Only node's own modules: nothing else is there.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { BROTLI_SUFFIX, INPUTS_FILE, ORT_BIN, ORT_LIB, type PackedInput, type PackManifest } from './layout.js';

export interface StagedRuntime {
  readonly dir: string;
  readonly workerScript: string;
  remove(): void;
}

export function stageRuntime(pack: string): StagedRuntime {
  const dir = mkdtempSync(join(tmpdir(), 'detectfn-gpu-check-'));
  try {
    cpSync(join(pack, 'app'), dir, { recursive: true });
    const packed = join(dir, ORT_BIN, ORT_LIB + BROTLI_SUFFIX);
    writeFileSync(join(dir, ORT_BIN, ORT_LIB), brotliDecompressSync(readFileSync(packed)));
    rmSync(packed);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, workerScript: join(dir, 'dist/engine-worker.js'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface LoadedInput extends PackedInput {
  readonly pixels: Uint8Array;
}

export function loadInputs(pack: string): LoadedInput[] {
  const inputs = JSON.parse(readFileSync(join(pack, INPUTS_FILE), 'utf8')) as PackedInput[];
  return inputs.map((i) => {
    const pixels = new Uint8Array(brotliDecompressSync(readFileSync(join(pack, i.file))));
    const { width, height } = i.plan.target;
    if (pixels.length !== width * height * 3) throw new Error(`${i.file}: ${pixels.length} bytes, expected ${width}x${height}x3`);
    return { ...i, pixels };
  });
}

export function readManifest(pack: string): PackManifest {
  return JSON.parse(readFileSync(join(pack, 'pack.json'), 'utf8')) as PackManifest;
}
