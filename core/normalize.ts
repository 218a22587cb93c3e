/**
 * @module core/normalize
 * How HWC uint8 pixels become a model's CHW input: scale, optional per-channel mean/std, channel
 * order and element type (float32, or float16 as IEEE half bits). Defaults are Ultralytics'
 * (RGB, /255, float32).
 *
 * (x * scale - mean) / std is computed as (x - mean/scale) / (std/scale) in float32: with the
 * defaults that is x / 255 exactly rounded, what numpy and torch give. Two kernels do exactly those
 * two float32 operations, so their outputs are bit-identical: a plain-JS one that looks each value
 * up in a 256-entry table per channel (a uint8 channel has only 256 possible outputs), and a
 * WebAssembly SIMD one (scripts/build-normalize-wasm.mjs) for float32. Options are checked and
 * reduced to per-channel constants once (`planNormalize`); a `Normalizer` keeps that plan for as
 * long as it is given the same options object. The pixels and buffers it is handed per image are
 * not checked again: the batcher and the engine boundary (core/batch expectPixelBatch) did.
 */
import { expectNumber, expectOneOf, invalidParameterError } from './errors.js';
import { roundHalfEven, type Size } from './geometry.js';
import { NORMALIZE_WASM } from './wasm-bytes.js';
import { instantiateSimd, type KernelRoute, pickWasmKernel, reserveScratch } from './wasm.js';

export type ChannelOrder = 'rgb' | 'bgr';
export type NormalizeDType = 'float32' | 'float16';
/** Which kernel a Normalizer runs: WebAssembly SIMD, or plain JS where SIMD is unavailable. */
export type NormalizeRoute = KernelRoute;

export interface NormalizeOptions {
  /** Multiplier applied first. @default 1/255 */
  readonly scale: number;
  /** Per channel, in the model's channel order, subtracted after scaling. @default undefined (0, 0, 0) */
  readonly mean?: readonly [number, number, number];
  /** Per channel, in the model's channel order, divided by after the mean. @default undefined (1, 1, 1) */
  readonly std?: readonly [number, number, number];
  /** Channel order of the input pixels. @default 'rgb' */
  readonly sourceOrder: ChannelOrder;
  /** Channel order the model expects; channels are swapped when it differs. @default 'rgb' */
  readonly modelOrder: ChannelOrder;
  /** 'float16' writes IEEE half bits into a Uint16Array. @default 'float32' */
  readonly dtype: NormalizeDType;
}

export const DEFAULT_NORMALIZE: NormalizeOptions = Object.freeze({
  scale: 1 / 255,
  sourceOrder: 'rgb',
  modelOrder: 'rgb',
  dtype: 'float32',
});

// The normalizer: owns one WASM kernel instance (its scratch memory is reused, never shared),
// so hold one per thread for the hot path.

export interface Normalizer {
  /** The kernel float32 work runs on; float16 always uses the JS table kernel. */
  readonly route: NormalizeRoute;
  /**
   * Writes `src` (HWC uint8, 3 channels, `size`) as CHW into `dst` from element `offset`:
   * straight into a slot of a preallocated batch tensor. Options are checked and planned once per
   * object identity: pass a new object to change them, never mutate.
   *
   * Runs once per image of every batch, so it trusts the rest, as the boundaries that call it
   * checked it (the batcher each item, expectPixelBatch each pixel batch): `src` holds
   * width x height x 3 bytes, `dst` is a Float32Array for float32 (a Uint16Array for float16)
   * with room for 3 x width x height elements from `offset`.
   */
  normalizeInto(src: Uint8Array, size: Size, dst: Float32Array | Uint16Array, offset: number, options?: Partial<NormalizeOptions>): void;
}

export interface NormalizerOptions {
  /** 'auto' picks wasm-simd where WebAssembly SIMD validates, else js. @default 'auto' */
  readonly route?: 'auto' | NormalizeRoute;
}

export function createNormalizer(options: NormalizerOptions = {}): Normalizer {
  const wasm = pickWasmKernel(options.route, createWasmKernel);
  // Batches reuse one options object: keep its plan and tables (768 values) for the next call.
  let last:
    | { opts: Partial<NormalizeOptions> | undefined; plan: NormalizePlan; luts: ReturnType<typeof buildLuts>; mul: MulForm[] | undefined }
    | undefined;
  return {
    route: wasm ? 'wasm-simd' : 'js',
    normalizeInto(src, size, dst, offset, opts) {
      if (!last || last.opts !== opts) {
        const fresh = planNormalize(opts);
        last = { opts, plan: fresh, luts: buildLuts(fresh), mul: wasm ? exactMulForms(fresh.channels) : undefined };
      }
      const { plan, luts, mul } = last;
      const pixels = size.width * size.height;
      if (wasm && dst instanceof Float32Array) wasm.run(src, pixels, dst, offset, plan, luts, mul);
      else normalizeRangeJs(src, pixels, 0, pixels, dst, offset, plan, luts);
    },
  };
}

/**
 * The stateless form: builds a JS-route normalizer per call, with the same contract. Use
 * createNormalizer() and keep it where speed matters (batch assembly), which gets the WASM SIMD
 * kernel.
 */
export function normalizeInto(
  src: Uint8Array,
  size: Size,
  dst: Float32Array | Uint16Array,
  offset: number,
  options?: Partial<NormalizeOptions>,
): void {
  createNormalizer({ route: 'js' }).normalizeInto(src, size, dst, offset, options);
}

// The plan: options checked once and reduced to per-source-channel constants.

/** Per source channel: the output plane it goes to and its float32 constants. */
export interface ChannelMap {
  readonly plane: number;
  /** mean / scale, rounded to float32. */
  readonly sub: number;
  /** std / scale, rounded to float32. */
  readonly div: number;
}

/** Validated options in the form both kernels consume. */
export interface NormalizePlan {
  readonly dtype: NormalizeDType;
  readonly channels: readonly [ChannelMap, ChannelMap, ChannelMap];
}

export function planNormalize(options: Partial<NormalizeOptions> = {}): NormalizePlan {
  // Checked and planned once per options object: a service sends the same frozen one with every batch.
  let plan = plans.get(options);
  if (plan === undefined) plans.set(options, (plan = makePlan(options)));
  return plan;
}

const plans = new WeakMap<object, NormalizePlan>();

function makePlan(options: Partial<NormalizeOptions>): NormalizePlan {
  const o = { ...DEFAULT_NORMALIZE, ...options };
  const scale = expectNumber('scale', o.scale, Number.MIN_VALUE);
  const mean = triple('mean', o.mean, 0, false);
  const std = triple('std', o.std, 1, true);
  const source = expectOneOf('sourceOrder', o.sourceOrder, ORDERS);
  const model = expectOneOf('modelOrder', o.modelOrder, ORDERS);
  const dtype = expectOneOf('dtype', o.dtype, ['float32', 'float16'] as const);
  const swap = source !== model;
  const channel = (c: number): ChannelMap => {
    const plane = swap ? 2 - c : c;
    return { plane, sub: Math.fround(mean[plane]! / scale), div: Math.fround(std[plane]! / scale) };
  };
  return { dtype, channels: [channel(0), channel(1), channel(2)] };
}

const ORDERS = ['rgb', 'bgr'] as const;

function triple(name: string, v: unknown, fallback: number, nonZero: boolean): readonly number[] {
  if (v === undefined) return [fallback, fallback, fallback];
  if (!Array.isArray(v) || v.length !== 3) throw invalidParameterError(name, 'array of 3 numbers', v);
  return v.map((x: unknown, i) => {
    const n = expectNumber(`${name}[${i}]`, x);
    if (nonZero && n === 0) throw invalidParameterError(`${name}[${i}]`, 'non-zero number', x);
    return n;
  });
}

/** The value both kernels produce for pixel value `x` of a channel. */
function normalizeValue(x: number, c: ChannelMap): number {
  return Math.fround(Math.fround(x - c.sub) / c.div);
}

// The JS kernel: one 256-entry table per channel, so float32 and float16 share one loop and match
// the WASM kernel bit for bit.

type Lut = Float32Array | Uint16Array;

function buildLuts(plan: NormalizePlan): [Lut, Lut, Lut] {
  const build = (c: number): Lut => {
    const lut = plan.dtype === 'float16' ? new Uint16Array(256) : new Float32Array(256);
    const ch = plan.channels[c]!;
    for (let x = 0; x < 256; x++) {
      const v = normalizeValue(x, ch);
      lut[x] = plan.dtype === 'float16' ? toHalfBits(v) : v;
    }
    return lut;
  };
  return [build(0), build(1), build(2)];
}

/**
 * Pixels [first, first + count) of `src` (HWC, 3 channels) into planes of `pixels` elements
 * starting at `offset` in `dst`.
 */
function normalizeRangeJs(
  src: Uint8Array,
  pixels: number,
  first: number,
  count: number,
  dst: Float32Array | Uint16Array,
  offset: number,
  plan: NormalizePlan,
  luts: readonly [Lut, Lut, Lut],
): void {
  const [l0, l1, l2] = luts;
  const o0 = offset + plan.channels[0].plane * pixels;
  const o1 = offset + plan.channels[1].plane * pixels;
  const o2 = offset + plan.channels[2].plane * pixels;
  const end = first + count;
  for (let p = first, i = first * 3; p < end; p++, i += 3) {
    dst[o0 + p] = l0[src[i]!]!;
    dst[o1 + p] = l1[src[i + 1]!]!;
    dst[o2 + p] = l2[src[i + 2]!]!;
  }
}

// The WebAssembly SIMD kernel, over tiles of CHUNK pixels. WASM can only write its own memory,
// and that memory cannot be transferred to the engine worker, so each tile is normalised into a
// small scratch region that stays in cache and copied out with one `set` per plane: the batch
// tensor stays an ordinary, transferable ArrayBuffer.

/** Pixels per tile: 24 KiB in, 3 x 32 KiB out, within the 2 pages the module declares. The generator hard-codes the 32 KiB plane stride. */
const CHUNK = 8192;
/** Pixels per kernel loop turn; the JS kernel does a tile's last < 16 pixels. */
const STEP = 16;
/** Input tile: 16 bytes of slack, as each 4-pixel load reads 16 bytes for 12. */
const IN_BYTES = CHUNK * 3 + 16;
/** Output tile: three f32 planes of CHUNK pixels, the stride the generator hard-codes. */
const OUT_BYTES = 3 * CHUNK * 4;

type KernelExport = (inPtr: number, steps: number, out: number, ...constants: number[]) => void;

interface WasmKernel {
  /** `mul`: constants for the division-free form where exactMulForms verified it, else undefined. */
  run(
    src: Uint8Array,
    pixels: number,
    dst: Float32Array,
    offset: number,
    plan: NormalizePlan,
    luts: ReturnType<typeof buildLuts>,
    mul: readonly MulForm[] | undefined,
  ): void;
}

/** undefined where WebAssembly or its SIMD proposal is unavailable. */
function createWasmKernel(): WasmKernel | undefined {
  const instance = instantiateSimd(NORMALIZE_WASM);
  if (!instance) return undefined;
  const { exports, memory } = instance;
  // Fixed tiles: laid out once, within the 2 pages the module declares (never grows).
  const [IN, OUT] = reserveScratch(memory, [IN_BYTES, OUT_BYTES]);
  const byDiv = exports.normalize_div as KernelExport;
  const byMul = exports.normalize_mul as KernelExport;
  const heap8 = new Uint8Array(memory.buffer);
  const heap32 = new Float32Array(memory.buffer);

  return {
    run(src, pixels, dst, offset, plan, luts, mul) {
      const kernel = mul ? byMul : byDiv;
      const k = mul ? mul.flatMap((m) => [m.hi, m.lo, m.add]) : plan.channels.flatMap((c) => [c.sub, c.div]);
      for (let p = 0; p < pixels; p += CHUNK) {
        const n = Math.min(CHUNK, pixels - p);
        const vec = n - (n % STEP);
        heap8.set(src.subarray(p * 3, (p + vec) * 3), IN);
        kernel(IN, vec / STEP, OUT, ...k);
        for (let c = 0; c < 3; c++) {
          const from = (OUT >> 2) + c * CHUNK;
          dst.set(heap32.subarray(from, from + vec), offset + plan.channels[c]!.plane * pixels + p);
        }
        if (vec < n) normalizeRangeJs(src, pixels, p + vec, n - vec, dst, offset, plan, luts);
      }
    },
  };
}

// The division-free form: y = x*hi + (x*lo + add), which avoids float32 division (the WASM
// kernel's bottleneck). hi keeps 16 significant bits of 1/div so x*hi (x < 256) is exact. The
// form is only used when it reproduces the reference (x - sub) / div bit for bit for all 256
// inputs of every channel, checked here; otherwise the division kernel runs.

export interface MulForm {
  readonly hi: number;
  readonly lo: number;
  readonly add: number;
}

/** Per-channel mul-form constants, or undefined when any of the 768 outputs would differ. */
export function exactMulForms(channels: readonly ChannelMap[]): MulForm[] | undefined {
  const forms = channels.map(mulForm);
  for (let c = 0; c < channels.length; c++) {
    for (let x = 0; x < 256; x++) {
      if (!Object.is(mulFormValue(x, forms[c]!), normalizeValue(x, channels[c]!))) return undefined;
    }
  }
  return forms;
}

/**
 * The float32 operations the kernel performs, in JS: exact, because a double result rounded to
 * float32 is the float32 operation's result (53 >= 2 * 24 + 2 bits, so no double rounding).
 */
export function mulFormValue(x: number, m: MulForm): number {
  const f = Math.fround;
  return f(f(x * m.hi) + f(f(x * m.lo) + m.add));
}

function mulForm(c: ChannelMap): MulForm {
  const t = 1 / c.div;
  const q = 2 ** (Math.floor(Math.log2(Math.abs(t))) - 15);
  const hi = Math.trunc(t / q) * q;
  return { hi, lo: Math.fround(t - hi), add: Math.fround(-c.sub / c.div) };
}

// Half floats: float -> IEEE 754 binary16 bits with round-to-nearest-even, for float16 model
// inputs. Arithmetic rather than a Float32Array/Uint32Array view, so no shared scratch buffer is
// needed; scaling by powers of two is exact, so the single rounding below is the only one.

export function toHalfBits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  // 65520 is halfway between the largest half (65504) and 2^16: it and above round to infinity.
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) {
    // Subnormal: units of 2^-24; rounding up to 1024 yields the smallest normal's bits, as it should.
    return sign | roundHalfEven(a * 2 ** 24);
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  return sign | ((e + 15) << 10) | m;
}

/** IEEE 754 binary16 bits -> number (exact: every half is a float32). */
export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}
