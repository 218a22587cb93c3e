/**
 * @module core/preprocess/compare
 * Our model input vs a reference tensor saved by the training pipeline, with a plain verdict.
 * Instead of guessing from ranges, it searches the usual mistakes directly: for channel order
 * as given or swapped (BGR/RGB), and for each 1-pixel shift of the image (letterbox padding or
 * rounding), it fits reference = a * ours + b per channel by least squares over the interior.
 * The best-fitting alignment names the order and the shift; its (a, b) name the value mistake:
 * a = 1/255 is a missing /255, a = 255 the reverse, anything else a mean/std that differs.
 */
import { DetectError } from '../errors/index.js';
import { significant } from '../math/index.js';

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
