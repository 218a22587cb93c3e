/**
 * @module core/inspect
 * The maths of the preprocessing inspector: what a model's preprocessing does to one image, and
 * whether the tensor we feed matches the one the training pipeline made.
 *
 * - A plain, ordered description: the geometry (`PlanView`, a discriminated union on `kind`, so
 *   the letterbox and the centre crop are shown alike) and the steps in the order they run
 *   (`describeSteps`), so every choice the manifest makes (kernel, pad value, channel order,
 *   scale, mean/std, layout, dtype) is visible.
 * - Numbers to look at: per-channel statistics of the tensor (`channelStats`), and the tensor
 *   turned back into an image (`tensorToRgb`).
 * - A verdict: our tensor against a reference saved with np.save (`parseNpy`, `compareTensors`),
 *   naming the usual mistake (a missing /255, swapped channels, a 1-pixel shift, other mean/std)
 *   rather than printing a difference.
 *
 * The inspector's inputs come from a user (a reference file, a tensor to show), so these
 * functions check what they are given and refuse it with INVALID_ARGUMENT.
 */
import { DetectError, invalidParameterError } from './errors.js';
import { type CropPlan, type CropWindow, type LetterboxPlan, type Padding, significant, type Size } from './geometry.js';
import { fromHalfBits } from './normalize.js';

// The description: plan views and steps.

/** Letterbox: resize by `scale` keeping the aspect ratio, then pad to `target`. */
export interface LetterboxPlanView {
  readonly kind: 'letterbox';
  readonly source: Size;
  readonly scale: number;
  readonly resized: Size;
  readonly padding: Padding;
  readonly padValue: number;
  readonly target: Size;
}

/** Centre crop (classifiers): resize by `scale`, take the `crop` window, pad it to `target` where the image is smaller. */
export interface CropPlanView {
  readonly kind: 'crop';
  readonly source: Size;
  readonly scale: number;
  readonly resized: Size;
  readonly crop: CropWindow;
  readonly padding: Padding;
  readonly padValue: number;
  readonly target: Size;
}

/** Every geometry the inspector can describe; a new kind joins this union. */
export type PlanView = LetterboxPlanView | CropPlanView;

export type PreprocessStep =
  | { readonly step: 'decode'; readonly orientation: 'exif'; readonly colour: 'sRGB 8-bit, ICC ignored'; readonly alpha: 'flattened onto the pad value' }
  | { readonly step: 'resize'; readonly kernel: string; readonly from: Size; readonly to: Size }
  | { readonly step: 'crop'; readonly window: CropWindow }
  | { readonly step: 'pad'; readonly value: number; readonly padding: Padding }
  | { readonly step: 'channels'; readonly order: 'rgb' | 'bgr' }
  | { readonly step: 'scale'; readonly factor: number }
  | { readonly step: 'normalize'; readonly mean: readonly number[]; readonly std: readonly number[] }
  | { readonly step: 'layout'; readonly layout: 'NCHW' }
  | { readonly step: 'dtype'; readonly dtype: 'float32' | 'float16' };

/** The manifest's pixel settings, as the engine's normalizer gets them. */
export interface PixelSpec {
  /** How the decoder resamples (e.g. 'cv2-linear'). */
  readonly kernel: string;
  readonly channelOrder: 'rgb' | 'bgr';
  readonly scale: number;
  readonly mean?: readonly number[] | undefined;
  readonly std?: readonly number[] | undefined;
  readonly dtype: 'float32' | 'float16';
}

export function letterboxView(plan: LetterboxPlan): LetterboxPlanView {
  return { kind: 'letterbox', source: plan.source, scale: plan.scale, resized: plan.resized, padding: plan.pad, padValue: plan.padValue, target: plan.target };
}

export function cropView(plan: CropPlan): CropPlanView {
  return { kind: 'crop', source: plan.source, scale: plan.scale, resized: plan.resized, crop: plan.crop, padding: plan.pad, padValue: plan.padValue, target: plan.target };
}

/** The view of either plan a decoder executes. */
export function planView(plan: LetterboxPlan | CropPlan): PlanView {
  return 'kind' in plan && plan.kind === 'crop' ? cropView(plan) : letterboxView(plan as LetterboxPlan);
}

/** What the geometry does, per kind (a new kind adds its case here). */
function geometrySteps(plan: PlanView, kernel: string): PreprocessStep[] {
  switch (plan.kind) {
    case 'letterbox':
      return [{ step: 'resize', kernel, from: plan.source, to: plan.resized }, { step: 'pad', value: plan.padValue, padding: plan.padding }];
    case 'crop': {
      const { left, right, top, bottom } = plan.padding;
      const padded = left + right + top + bottom > 0 ? [{ step: 'pad' as const, value: plan.padValue, padding: plan.padding }] : [];
      return [{ step: 'resize', kernel, from: plan.source, to: plan.resized }, { step: 'crop', window: plan.crop }, ...padded];
    }
  }
}

/** The steps in the order they run; mean/std only when the manifest sets them. */
export function describeSteps(plan: PlanView, spec: PixelSpec): PreprocessStep[] {
  const steps: PreprocessStep[] = [
    { step: 'decode', orientation: 'exif', colour: 'sRGB 8-bit, ICC ignored', alpha: 'flattened onto the pad value' },
    ...geometrySteps(plan, spec.kernel),
    { step: 'channels', order: spec.channelOrder },
    { step: 'scale', factor: spec.scale },
  ];
  if (spec.mean || spec.std) steps.push({ step: 'normalize', mean: spec.mean ?? [0, 0, 0], std: spec.std ?? [1, 1, 1] });
  steps.push({ step: 'layout', layout: 'NCHW' }, { step: 'dtype', dtype: spec.dtype });
  return steps;
}

// Channel statistics: min/max/mean/std per channel of an NCHW tensor as the engine receives it
// (float32, or float16 as IEEE half bits), over every item of the batch. The first thing to look
// at when outputs look wrong: a /255 that is missing shows as max 255 where 1 was expected.

export interface ChannelStats {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly std: number;
}

/** The tensor's values as float32 (a float32 input is returned as is, float16 is widened). */
export function toFloat32(data: Float32Array | Uint16Array): Float32Array {
  if (data instanceof Float32Array) return data;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = fromHalfBits(data[i]!);
  return out;
}

/** `dims` is [N, C, H, W] or [C, H, W]. Population std (numpy's default). */
export function channelStats(data: Float32Array | Uint16Array, dims: readonly number[]): ChannelStats[] {
  const d = dims.length === 3 ? [1, ...dims] : [...dims];
  if (d.length !== 4 || d.some((x) => !Number.isInteger(x) || x < 1)) throw invalidParameterError('dims', '[N, C, H, W] or [C, H, W]', dims.join('x'));
  const [n, c, h, w] = d as [number, number, number, number];
  const plane = h * w;
  if (data.length !== n * c * plane) throw invalidParameterError('data.length', String(n * c * plane), data.length);
  const values = toFloat32(data);
  return Array.from({ length: c }, (_, ch) => {
    let min = Infinity, max = -Infinity, sum = 0, sq = 0;
    for (let item = 0; item < n; item++) {
      const start = (item * c + ch) * plane;
      for (let i = start; i < start + plane; i++) {
        const v = values[i]!;
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
        sq += v * v;
      }
    }
    const count = n * plane;
    const mean = sum / count;
    return { min, max, mean, std: Math.sqrt(Math.max(0, sq / count - mean * mean)) };
  });
}

/** Lowest min and highest max over the channels. */
export function tensorRange(stats: readonly ChannelStats[]): [number, number] {
  return [Math.min(...stats.map((s) => s.min)), Math.max(...stats.map((s) => s.max))];
}

// The view: the model input turned back into an 8-bit RGB image (HWC) by undoing mean/std,
// scale and channel order with the constants the caller passes. Given the constants the model
// expects, a correct pipeline shows the letterboxed image with its grey padding, while a tensor
// on the wrong scale shows as white or black: values are clamped to 0..255, never rescaled to fit.

export interface InverseSpec {
  /** The multiplier the forward path applied (1/255 for YOLO). */
  readonly scale: number;
  /** Per model channel. @default [0, 0, 0] */
  readonly mean?: readonly number[] | undefined;
  /** Per model channel. @default [1, 1, 1] */
  readonly std?: readonly number[] | undefined;
  /** The model's channel order; the output is always RGB. */
  readonly channelOrder: 'rgb' | 'bgr';
}

/** `dims` is [1, 3, H, W] or [3, H, W]; pixel = clamp(round((v * std + mean) / scale)). */
export function tensorToRgb(data: Float32Array | Uint16Array, dims: readonly number[], inv: InverseSpec): { pixels: Uint8Array; width: number; height: number } {
  const d = dims.length === 4 && dims[0] === 1 ? dims.slice(1) : dims;
  if (d.length !== 3 || d[0] !== 3) throw invalidParameterError('dims', '[1, 3, H, W] or [3, H, W]', dims.join('x'));
  const [, height, width] = d as [number, number, number];
  const plane = width * height;
  const values = toFloat32(data);
  const pixels = new Uint8Array(plane * 3);
  for (let out = 0; out < 3; out++) {
    // Output channel `out` (R, G, B) reads the model plane that holds it.
    const c = inv.channelOrder === 'bgr' ? 2 - out : out;
    const m = inv.mean?.[c] ?? 0, s = inv.std?.[c] ?? 1;
    for (let p = 0, src = c * plane; p < plane; p++) {
      const x = Math.round((values[src + p]! * s + m) / inv.scale);
      pixels[p * 3 + out] = x < 0 ? 0 : x > 255 ? 255 : x;
    }
  }
  return { pixels, width, height };
}

// The comparison: our model input vs a reference tensor saved by the training pipeline, with a
// plain verdict. Instead of guessing from ranges, it searches the usual mistakes directly: for
// channel order as given or swapped (BGR/RGB), and for each 1-pixel shift of the image
// (letterbox padding or rounding), it fits reference = a * ours + b per channel by least squares
// over the interior. The best-fitting alignment names the order and the shift; its (a, b) name
// the value mistake: a = 1/255 is a missing /255, a = 255 the reverse, anything else a mean/std
// that differs.

export interface Chw {
  readonly dims: readonly [number, number, number];
  readonly data: Float32Array;
}

export interface ChannelDiff {
  readonly maxAbs: number;
  readonly meanAbs: number;
}

export interface Comparison {
  /** Differences as given, channel by channel (no alignment). */
  readonly channels: readonly ChannelDiff[];
  /** Within tolerance as given. */
  readonly match: boolean;
  readonly tolerance: number;
  /** Plain sentences, most specific first. */
  readonly verdicts: readonly string[];
}

interface Fit { readonly swap: boolean; readonly dx: number; readonly dy: number; readonly a: number[]; readonly b: number[]; readonly residual: number }

const SHIFTS = [-1, 0, 1];

export function compareTensors(ours: Chw, ref: Chw): Comparison {
  const [c, h, w] = ours.dims;
  if (ref.dims.join() !== ours.dims.join()) {
    throw new DetectError('INVALID_ARGUMENT', `the reference is [${ref.dims.join(', ')}] (CHW) where the model input is [${ours.dims.join(', ')}]: a different input size or letterbox`);
  }
  if (c !== 3 || h < 3 || w < 3) throw new DetectError('INVALID_ARGUMENT', `expected 3 channels of at least 3x3 pixels, got [${ours.dims.join(', ')}]`);
  const plane = h * w;
  const channels = [0, 1, 2].map((ch): ChannelDiff => {
    let maxAbs = 0, sum = 0;
    for (let i = ch * plane; i < (ch + 1) * plane; i++) {
      const d = Math.abs(ours.data[i]! - ref.data[i]!);
      if (d > maxAbs) maxAbs = d;
      sum += d;
    }
    return { maxAbs, meanAbs: sum / plane };
  });
  const ourRange = range(ours.data), refRange = range(ref.data);
  // float16 references round to ~5e-4 of their magnitude; bit-exact pipelines differ by 0.
  const tolerance = 2e-3 * Math.max(Math.abs(refRange[0]), Math.abs(refRange[1])) + 1e-6;
  const maxDiff = Math.max(...channels.map((d) => d.maxAbs));
  if (maxDiff <= tolerance) {
    return { channels, match: true, tolerance, verdicts: [`match: max abs difference ${fmt(maxDiff)} (tolerance ${fmt(tolerance)})`] };
  }
  const fits: Fit[] = [];
  for (const swap of [false, true]) for (const dy of SHIFTS) for (const dx of SHIFTS) fits.push(fitAligned(ours, ref, swap, dx, dy));
  const changes = (f: Fit) => Number(f.swap) + Number(f.dx !== 0 || f.dy !== 0);
  const good = fits.filter((f) => f.residual <= tolerance).sort((x, y) => changes(x) - changes(y) || x.residual - y.residual);
  const best = good[0];
  if (!best) {
    const nearest = fits.reduce((x, y) => (y.residual < x.residual ? y : x));
    return {
      channels, match: false, tolerance,
      verdicts: [`no simple explanation: values span ${fmtRange(ourRange)} where the reference spans ${fmtRange(refRange)}, and even the best alignment (channel order, 1-pixel shifts, per-channel scale and offset) leaves differences up to ${fmt(nearest.residual)}; compare the resize kernel, colour conversion and the image itself`],
    };
  }
  const verdicts: string[] = [];
  if (best.swap) verdicts.push('channels 0 and 2 are swapped (BGR/RGB)');
  if (best.dx !== 0 || best.dy !== 0) {
    verdicts.push(`shifted by 1 pixel (letterbox padding/rounding differs): the reference is this tensor moved by dx=${best.dx}, dy=${best.dy}`);
  }
  const v = valueVerdict(best, ourRange, refRange, tolerance);
  if (v) verdicts.push(v);
  return { channels, match: false, tolerance, verdicts: verdicts.length ? verdicts : [`differences up to ${fmt(maxDiff)}, only in the 1-pixel border`] };
}

function valueVerdict(f: Fit, ours: [number, number], ref: [number, number], tol: number): string | undefined {
  const near = (x: number, y: number) => Math.abs(x / y - 1) < 1e-2;
  const noOffset = f.b.every((b) => Math.abs(b) <= tol * 4);
  if (noOffset && f.a.every((a) => Math.abs(a - 1) < 1e-3)) return undefined;
  const spans = `values span ${fmtRange(ours)} where the reference spans ${fmtRange(ref)}`;
  if (noOffset && f.a.every((a) => near(a, 1 / 255))) return `${spans}: a /255 is missing`;
  if (noOffset && f.a.every((a) => near(a, 255))) return `${spans}: the reference has no /255 (this manifest scales by 1/255 where training did not)`;
  // reference = (ours - mean) / std  <=>  a = 1/std, b = -mean/std
  const mean = f.a.map((a, i) => -f.b[i]! / a), std = f.a.map((a) => 1 / a);
  return `${spans}: mean/std differ (missing or different): the reference is (values - mean) / std with mean [${mean.map(fmt).join(', ')}], std [${std.map(fmt).join(', ')}] per channel`;
}

/** Least-squares ref = a * ours' + b per channel, ours' = ours with channels maybe swapped and shifted by (dx, dy), over the interior. */
function fitAligned(ours: Chw, ref: Chw, swap: boolean, dx: number, dy: number): Fit {
  const [, h, w] = ours.dims;
  const plane = h * w;
  const a: number[] = [], b: number[] = [];
  let residual = 0;
  for (let c = 0; c < 3; c++) {
    const src = (swap ? 2 - c : c) * plane, dst = c * plane;
    let n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (let y = 1; y < h - 1; y++) {
      for (let x = 1; x < w - 1; x++) {
        const o = ours.data[src + (y - dy) * w + (x - dx)]!, r = ref.data[dst + y * w + x]!;
        n++; sx += o; sy += r; sxx += o * o; sxy += o * r;
      }
    }
    const varX = sxx / n - (sx / n) ** 2;
    // A flat channel (a solid colour) cannot tell a scale from an offset: take the pure scale
    // through 0, the common mistake (a missing /255), rather than an arbitrary mean.
    const flat = !(varX > 1e-9 * (sxx / n) && varX > 1e-12);
    const ac = !flat ? (sxy / n - (sx / n) * (sy / n)) / varX : sxx > 0 ? sxy / sxx : 1;
    const bc = sy / n - ac * (sx / n);
    a.push(ac); b.push(bc);
    for (let y = 1; y < h - 1; y++) {
      for (let x = 1; x < w - 1; x++) {
        const d = Math.abs(ref.data[dst + y * w + x]! - (ac * ours.data[src + (y - dy) * w + (x - dx)]! + bc));
        if (d > residual) residual = d;
      }
    }
  }
  return { swap, dx, dy, a, b, residual };
}

function range(data: Float32Array): [number, number] {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

const fmt = (x: number) => significant(x, 3);

/** "0-255"; "-2.12 to 2.64" where a dash would read as a minus. */
function fmtRange([lo, hi]: [number, number]): string {
  return lo < 0 || hi < 0 ? `${fmt(lo)} to ${fmt(hi)}` : `${fmt(lo)}-${fmt(hi)}`;
}

// The .npy reader, for the files a training pipeline saves with np.save: format versions 1-3,
// little-endian float32 ('<f4') or float16 ('<f2'), C order, shape [1, C, H, W] or [C, H, W].
// Anything else is refused with a message that says what was found and what to save instead,
// rather than read wrongly.

export interface NpyTensor {
  readonly dtype: 'float32' | 'float16';
  /** Always [C, H, W] (a leading batch of 1 is dropped). */
  readonly dims: readonly [number, number, number];
  /** The values widened to float32. */
  readonly data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function bad(message: string): DetectError {
  return new DetectError('INVALID_ARGUMENT', `.npy: ${message}`);
}

export function parseNpy(bytes: Uint8Array): NpyTensor {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('not a NumPy .npy file (magic \\x93NUMPY missing)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw bad(`format version ${major} is not supported (1, 2 or 3)`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw bad('header is truncated');
  const header = String.fromCharCode(...bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad(`header is not a NumPy array header: ${header.trim()}`);
  const dtype = descr === '<f4' ? 'float32' : descr === '<f2' ? 'float16' : undefined;
  if (!dtype) throw bad(`dtype ${descr} is not supported: save little-endian float32 ('<f4') or float16 ('<f2')`);
  if (fortran === 'True') throw bad('Fortran order is not supported: save a C-ordered array (np.ascontiguousarray)');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const chw = shape.length === 4 && shape[0] === 1 ? shape.slice(1) : shape;
  if (chw.length !== 3 || chw.some((d) => !Number.isInteger(d) || d < 1)) {
    throw bad(`shape (${shape.join(', ')}) is not supported: expected NCHW with N=1 or CHW`);
  }
  const count = chw[0]! * chw[1]! * chw[2]!;
  const width = dtype === 'float32' ? 4 : 2;
  const offset = start + headerLen;
  if (bytes.length - offset < count * width) throw bad(`data is truncated: shape (${shape.join(', ')}) needs ${count * width} bytes, file has ${bytes.length - offset}`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    data[i] = dtype === 'float32' ? view.getFloat32(offset + i * 4, true) : fromHalfBits(view.getUint16(offset + i * 2, true));
  }
  return { dtype, dims: chw as [number, number, number], data };
}
