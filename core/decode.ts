/**
 * @module core/decode
 * The contract between a model's raw output and NMS. A decoder turns one batch item of a layout
 * (yolov8, yolov5, end2end) into flat candidates (structure of arrays); everything after it is
 * layout-agnostic. Each decoder applies the request's conf and class filters the way Ultralytics
 * does for that layout.
 *
 * Boxes stay in model-input (letterboxed) pixels: only core/postprocess maps them back to the
 * source image, through the same LetterboxPlan that produced the input. An output that does not
 * have the shape the manifest's layout promises (rank, fixed dims, dtype, class count) is the
 * model's fault, not the caller's: a MODEL_MISMATCH naming the expected and the actual dims.
 *
 * There is no global registry: a service builds its decoder set once per thread
 * (`createDecoders`) and passes it along. The yolov8 scan over 80 x 8400 scores is the hot loop
 * of postprocessing and has a WebAssembly SIMD route (scripts/build-decode-wasm.mjs) beside the
 * JS one, with identical results.
 */
import { DetectError } from './errors.js';
import type { Tensor, TensorMap } from './types.js';
import { DECODE_WASM } from './wasm-bytes.js';
import { instantiateSimd, type KernelRoute, pickWasmKernel, reserveScratch } from './wasm.js';

/** Structure-of-arrays candidates: candidate i is boxes[4i..4i+3], scores[i], classIds[i]. */
export interface Candidates {
  readonly count: number;
  /** x1 y1 x2 y2 per candidate, in model-input pixels. */
  readonly boxes: Float32Array;
  readonly scores: Float32Array;
  readonly classIds: Int32Array;
}

export interface DecodeOptions {
  /** Candidates must score strictly above this (Ultralytics compares with `>`). */
  readonly conf: number;
  /** Keep only these class ids; absent keeps every class. */
  readonly classes?: readonly number[];
  /** Expected class count; when given, the output shape must agree with it. */
  readonly numClasses?: number;
  /** Output tensor(s) to read, in the decoder's order; absent: the model's first output. */
  readonly outputNames?: readonly string[];
}

export interface OutputDecoder {
  /** The layout name a model manifest refers to ("yolov8", "yolov5", "end2end"). */
  readonly kind: string;
  /**
   * The model already selected its boxes (end-to-end heads): skip NMS and only keep the
   * `maxDet` best, as Ultralytics does for such models. @default false
   */
  readonly nmsFree?: boolean;
  /** Decodes batch item `index` of `outputs`. Throws MODEL_MISMATCH on a wrong shape. */
  decode(outputs: TensorMap, index: number, opts: DecodeOptions): Candidates;
}

/** Read-only lookup from layout name to decoder; built by createDecoders, never global. */
export type DecoderSet = Readonly<Record<string, OutputDecoder>>;

/**
 * The built-in layouts plus `extra` (an extra entry may replace a built-in of the same name;
 * adding a layout is one decoder plus an entry here). yolov8 gets its own decoder with the
 * WebAssembly SIMD scan where the runtime has it: keep the set (one per thread), do not build one
 * per request.
 */
export function createDecoders(extra: Readonly<Record<string, OutputDecoder>> = {}): DecoderSet {
  return Object.freeze({
    yolov8: createYolov8Decoder(),
    [yolov5Decoder.kind]: yolov5Decoder,
    [end2endDecoder.kind]: end2endDecoder,
    ...extra,
  });
}

/** Throws CONFIG_INVALID naming the known kinds: an unknown kind is a manifest error. */
export function getDecoder(decoders: DecoderSet, kind: string): OutputDecoder {
  const decoder = Object.hasOwn(decoders, kind) ? decoders[kind] : undefined;
  if (decoder === undefined) {
    const known = Object.keys(decoders).sort().join(', ');
    throw new DetectError('CONFIG_INVALID', `Unknown output decoder "${kind}"; known decoders: ${known}`, {
      details: { kind, known: Object.keys(decoders) },
    });
  }
  return decoder;
}

// yolov8: anchor-free heads, output [B, 4+nc, N] with rows cx, cy, w, h, then one score row per
// class and no objectness (YOLOv8, YOLOv9, YOLO11). Like Ultralytics, an anchor's score is its
// best class score over ALL classes, and the class filter applies after that choice: an anchor
// whose best class is filtered out is dropped, not demoted to its second-best class.

export interface Yolov8Decoder extends OutputDecoder {
  /** The best-class scan in use; both routes give identical candidates. */
  readonly route: ClassScanRoute;
}

export interface Yolov8DecoderOptions {
  /** 'auto' picks wasm-simd where WebAssembly SIMD validates, else js. @default 'auto' */
  readonly route?: 'auto' | ClassScanRoute;
}

/**
 * A yolov8 decoder with its own scan. The wasm-simd route holds scratch memory (never shared):
 * build one per thread, as createDecoders() does, and keep it.
 */
export function createYolov8Decoder(options: Yolov8DecoderOptions = {}): Yolov8Decoder {
  const wasm = pickWasmKernel(options.route, createWasmClassScan);
  const scan = wasm ?? jsClassScan;
  return Object.freeze({ kind: 'yolov8', route: scan.route, decode: (outputs: TensorMap, index: number, opts: DecodeOptions) => decodeYolov8(scan, outputs, index, opts) });
}

function decodeYolov8(scan: ClassScan, outputs: TensorMap, index: number, opts: DecodeOptions): Candidates {
  const out = pickOutput('yolov8', outputs, opts);
  const rows = opts.numClasses === undefined ? null : 4 + opts.numClasses;
  const data = itemData('yolov8', '[batch, 4+classes, anchors]', out, [null, rows, null], index);
  const nc = out.tensor.dims[1]! - 4;
  const n = out.tensor.dims[2]!;
  if (nc < 1) {
    throw new DetectError('MODEL_MISMATCH', `yolov8 decoder expects ${out.name} with at least 5 rows but it has ${nc + 4}`);
  }
  const { best, bestClass } = scan.scan(data, 4 * n, nc, n, opts.conf);
  const mask = classMask(opts.classes, nc);
  let count = 0;
  for (let a = 0; a < n; a++) {
    const c = bestClass[a]!;
    if (c >= 0 && (mask === null || mask[c] === 1)) count++;
    else bestClass[a] = -1;
  }
  const result = allocCandidates(count);
  const { boxes, scores, classIds } = result;
  let k = 0;
  for (let a = 0; a < n && k < count; a++) {
    const c = bestClass[a]!;
    if (c < 0) continue;
    const cx = data[a]!, cy = data[n + a]!, hw = data[2 * n + a]! / 2, hh = data[3 * n + a]! / 2;
    boxes[4 * k] = cx - hw;
    boxes[4 * k + 1] = cy - hh;
    boxes[4 * k + 2] = cx + hw;
    boxes[4 * k + 3] = cy + hh;
    scores[k] = best[a]!;
    classIds[k] = c;
    k++;
  }
  return result;
}

// The best-class scan, the hot loop of anchor-free decoding: for each anchor, its best class
// score and the first class reaching it, kept only where that score is strictly above conf.
// Scores above any useful threshold are sparse (yolov8n on bus.jpg: 46 of 672,000 above 0.25,
// 807 above 0.001), so the scan only compares each score with the threshold and touches
// per-anchor state on a hit.

export type ClassScanRoute = KernelRoute;

/** bestClass[a] is -1 where no class of anchor a scores above conf; best[a] is then meaningless. */
export interface ClassScanResult {
  readonly best: Float32Array;
  readonly bestClass: Int32Array;
}

export interface ClassScan {
  readonly route: ClassScanRoute;
  /**
   * Scans `nc` class rows of `n` scores each, starting at `data[first]`. The result may be a
   * view of scratch memory that the next call overwrites.
   */
  scan(data: Float32Array, first: number, nc: number, n: number, conf: number): ClassScanResult;
}

/**
 * The JS route: one flat pass over the class rows, 8 scores per branch. V8 does not vectorize,
 * and the short-circuit `||` chain measured 1.35x faster than the running max it replaced, which
 * loaded best[a] for every score (scan alone: 0.85 -> 0.63 ms, loaded machine).
 */
export const jsClassScan: ClassScan = Object.freeze({
  route: 'js',
  scan(data: Float32Array, first: number, nc: number, n: number, conf: number): ClassScanResult {
    const thr = float32Below(conf);
    const best = new Float32Array(n).fill(thr);
    const bestClass = new Int32Array(n).fill(-1);
    const end = first + nc * n, end8 = first + ((nc * n) & ~7);
    const hit = (i: number): void => {
      const c = Math.floor((i - first) / n), a = i - first - c * n;
      if (data[i]! > best[a]!) {
        best[a] = data[i]!;
        bestClass[a] = c;
      }
    };
    let i = first;
    for (; i < end8; i += 8) {
      if (data[i]! > thr || data[i + 1]! > thr || data[i + 2]! > thr || data[i + 3]! > thr ||
          data[i + 4]! > thr || data[i + 5]! > thr || data[i + 6]! > thr || data[i + 7]! > thr) {
        for (let k = i; k < i + 8; k++) if (data[k]! > thr) hit(k);
      }
    }
    for (; i < end; i++) if (data[i]! > thr) hit(i);
    return { best, bestClass };
  },
});

// Built at module load: it must stay below jsClassScan, which it reads.
/** The stateless JS-route decoder; createDecoders() gives the faster wasm-simd one. */
export const yolov8Decoder: Yolov8Decoder = createYolov8Decoder({ route: 'js' });

/**
 * The WebAssembly SIMD route. WASM reads only its own memory and onnxruntime-node cannot write
 * into it, so the class rows are copied in, a tile of rows at a time: a whole [80, 8400] item
 * costs 2.7 MB of memory, a tile 256 KiB that stays in cache between the copy and the scan
 * (measured: copy + scan of the whole item 0.19 ms, in tiles of 7-8 rows 0.15 ms, the scan alone
 * 0.07 ms, the JS route 0.63 ms). undefined where WebAssembly or its SIMD proposal is
 * unavailable. Holds scratch memory: one per thread.
 */
export function createWasmClassScan(): ClassScan | undefined {
  const instance = instantiateSimd(DECODE_WASM);
  if (!instance) return undefined;
  const { exports, memory } = instance;
  const scanRows = exports.scan_rows as ScanRows;
  let layout: { n: number; rows: number; offsets: number[] } | undefined;

  return Object.freeze({
    route: 'wasm-simd',
    scan(data: Float32Array, first: number, nc: number, n: number, conf: number) {
      const thr = float32Below(conf);
      const rows = Math.max(1, Math.min(nc, Math.floor(TILE / n)));
      // best (n f32, at 0) | cls (n i32) | tile (rows x n f32); laid out again only when the output's size changes.
      if (layout?.n !== n || layout.rows !== rows) layout = { n, rows, offsets: reserveScratch(memory, [n * 4, n * 4, rows * n * 4]) };
      const [, CLS, TILE_AT] = layout.offsets as [number, number, number];
      const heap = new Float32Array(memory.buffer);
      const best = heap.subarray(0, n).fill(thr);
      const bestClass = new Int32Array(memory.buffer, CLS, n).fill(-1);
      const n16 = n & ~15;
      for (let c = 0; c < nc; c += rows) {
        const r = Math.min(rows, nc - c), from = first + c * n;
        heap.set(data.subarray(from, from + r * n), TILE_AT >> 2);
        scanRows(TILE_AT, r, n, n16, c, thr, 0, CLS);
      }
      // The last n % 16 anchors, which the kernel's 16-lane turns do not reach.
      scanLanes(data, first, nc, n, n16, n, best, bestClass);
      return { best, bestClass };
    },
  });
}

type ScanRows = (tile: number, rows: number, n: number, n16: number, c0: number, thr: number, best: number, cls: number) => void;

/** Scores per tile: 256 KiB, within L2 with room for best and cls. */
const TILE = 65536;

/**
 * The largest float32 <= conf. Scores are float32: `v > float32Below(conf)` is exactly
 * `v > conf`, whereas comparing with fround(conf) (0.001 rounds UP) would drop a score equal
 * to fround(conf) although it is above conf.
 */
function float32Below(conf: number): number {
  const f = new Float32Array([conf]);
  if (f[0]! > conf) {
    const bits = new Int32Array(f.buffer);
    bits[0] = f[0]! > 0 ? bits[0]! - 1 : bits[0]! + 1;
  }
  return f[0]!;
}

/** best[a] = max(best[a], score) over rows, lane by lane, for anchors [a0, a1). */
function scanLanes(data: Float32Array, first: number, nc: number, n: number, a0: number, a1: number, best: Float32Array, bestClass: Int32Array): void {
  for (let a = a0; a < a1; a++) {
    for (let c = 0, i = first + a; c < nc; c++, i += n) {
      const v = data[i]!;
      if (v > best[a]!) {
        best[a] = v;
        bestClass[a] = c;
      }
    }
  }
}

// yolov5: anchor-based heads with objectness, output [B, N, 5+nc], rows of cx, cy, w, h, obj,
// then class scores (YOLOv5, YOLOv7). As in Ultralytics' YOLOv5 NMS, an anchor must first pass
// the threshold on objectness alone, then its score is obj * best class score and must pass
// again. The class filter applies after the best class is chosen, as for yolov8.

export const yolov5Decoder: OutputDecoder = Object.freeze({ kind: 'yolov5', decode: decodeYolov5 });

function decodeYolov5(outputs: TensorMap, index: number, opts: DecodeOptions): Candidates {
  const out = pickOutput('yolov5', outputs, opts);
  const cols = opts.numClasses === undefined ? null : 5 + opts.numClasses;
  const data = itemData('yolov5', '[batch, anchors, 5+classes]', out, [null, null, cols], index);
  const n = out.tensor.dims[1]!;
  const stride = out.tensor.dims[2]!;
  const nc = stride - 5;
  if (nc < 1) {
    throw new DetectError('MODEL_MISMATCH', `yolov5 decoder expects ${out.name} rows of at least 6 values but they have ${stride}`);
  }
  const mask = classMask(opts.classes, nc);
  const conf = opts.conf;
  // Anchor-major layout: one pass, remembering the winners in small scratch arrays.
  const keepAnchor = new Int32Array(n);
  const keepScore = new Float32Array(n);
  const keepClass = new Int32Array(n);
  let count = 0;
  for (let a = 0; a < n; a++) {
    const base = a * stride;
    const obj = data[base + 4]!;
    if (!(obj > conf)) continue;
    let best = -Infinity;
    let bestC = 0;
    for (let c = 0; c < nc; c++) {
      const v = data[base + 5 + c]!;
      if (v > best) {
        best = v;
        bestC = c;
      }
    }
    const score = Math.fround(obj * best);
    if (!(score > conf) || (mask !== null && mask[bestC] !== 1)) continue;
    keepAnchor[count] = a;
    keepScore[count] = score;
    keepClass[count] = bestC;
    count++;
  }
  const result = allocCandidates(count);
  for (let k = 0; k < count; k++) {
    const base = keepAnchor[k]! * stride;
    const cx = data[base]!, cy = data[base + 1]!, hw = data[base + 2]! / 2, hh = data[base + 3]! / 2;
    result.boxes[4 * k] = cx - hw;
    result.boxes[4 * k + 1] = cy - hh;
    result.boxes[4 * k + 2] = cx + hw;
    result.boxes[4 * k + 3] = cy + hh;
  }
  result.scores.set(keepScore.subarray(0, count));
  result.classIds.set(keepClass.subarray(0, count));
  return result;
}

// end2end: NMS-free heads, output [B, K, 6] rows of x1, y1, x2, y2, score, class in model-input
// pixels (YOLOv10, YOLO26). The model already ran its own selection; this only applies the
// request's conf and class filters, and `nmsFree` tells core/postprocess to skip NMS
// (Ultralytics keeps such output as is; NMS at IoU 0.7 would drop overlapping boxes the model
// meant to keep).

export const end2endDecoder: OutputDecoder = Object.freeze({ kind: 'end2end', nmsFree: true, decode: decodeEnd2end });

function decodeEnd2end(outputs: TensorMap, index: number, opts: DecodeOptions): Candidates {
  const out = pickOutput('end2end', outputs, opts);
  const data = itemData('end2end', '[batch, detections, 6]', out, [null, null, 6], index);
  const k = out.tensor.dims[1]!;
  const allowed = opts.classes === undefined ? null : new Set(opts.classes);
  const rows = new Int32Array(k);
  let count = 0;
  for (let r = 0; r < k; r++) {
    const score = data[r * 6 + 4]!;
    // Class ids travel as floats in this layout; round rather than truncate 2.9999.
    if (score > opts.conf && (allowed === null || allowed.has(Math.round(data[r * 6 + 5]!)))) rows[count++] = r;
  }
  const result = allocCandidates(count);
  for (let i = 0; i < count; i++) {
    const base = rows[i]! * 6;
    result.boxes.set(data.subarray(base, base + 4), 4 * i);
    result.scores[i] = data[base + 4]!;
    result.classIds[i] = Math.round(data[base + 5]!);
  }
  return result;
}

// What every decoder runs before touching data (exported for decoders of other layouts): pick
// the output, require float32, check the rank and fixed dims of the layout and the batch index.
// Each failure is a MODEL_MISMATCH, because it means the manifest declares a layout the model
// does not produce.

export function pickOutput(kind: string, outputs: TensorMap, opts: DecodeOptions): { name: string; tensor: Tensor } {
  const names = Object.keys(outputs);
  // onnxruntime keeps the model's output order, so the first key is the model's first output.
  const name = opts.outputNames?.[0] ?? names[0];
  const tensor = name === undefined ? undefined : outputs[name];
  if (name === undefined || tensor === undefined) {
    throw new DetectError(
      'MODEL_MISMATCH',
      `${kind} decoder expects output ${name ?? '(any)'} but the model produced [${names.join(', ')}]`,
    );
  }
  return { name, tensor };
}

/**
 * Checks `dims` against `expected` (a number is a fixed size, null any size) and returns the
 * float32 slice of batch item `index`.
 */
export function itemData(
  kind: string,
  layout: string,
  output: { name: string; tensor: Tensor },
  expected: readonly (number | null)[],
  index: number,
): Float32Array {
  const { name, tensor } = output;
  const dims = tensor.dims;
  const bad = dims.length !== expected.length || expected.some((e, i) => e !== null && dims[i] !== e);
  if (bad) {
    const want = expected.map((e) => (e === null ? '*' : String(e))).join(', ');
    throw new DetectError(
      'MODEL_MISMATCH',
      `${kind} decoder expects ${name} as ${layout} = [${want}] but it has dims [${dims.join(', ')}]`,
    );
  }
  if (tensor.dtype !== 'float32' || !(tensor.data instanceof Float32Array)) {
    throw new DetectError('MODEL_MISMATCH', `${kind} decoder expects ${name} as float32 but it is ${tensor.dtype}`);
  }
  const batch = dims[0]!;
  if (!Number.isInteger(index) || index < 0 || index >= batch) {
    throw new DetectError('MODEL_MISMATCH', `${kind} decoder asked for item ${index} of ${name} with batch ${batch}`);
  }
  const size = tensor.data.length / batch;
  return tensor.data.subarray(index * size, (index + 1) * size);
}

/** Class filter as a lookup table; null when every class passes. */
export function classMask(classes: readonly number[] | undefined, numClasses: number): Uint8Array | null {
  if (classes === undefined) return null;
  const mask = new Uint8Array(numClasses);
  for (const c of classes) if (c >= 0 && c < numClasses) mask[c] = 1;
  return mask;
}

export function allocCandidates(count: number): {
  count: number;
  boxes: Float32Array;
  scores: Float32Array;
  classIds: Int32Array;
} {
  return { count, boxes: new Float32Array(count * 4), scores: new Float32Array(count), classIds: new Int32Array(count) };
}
