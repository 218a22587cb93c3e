/**
 * @module core/preprocess/channel-stats
 * Per-channel min/max/mean/std of an NCHW tensor as the engine receives it (float32, or float16
 * as IEEE half bits), over every item of the batch. The first thing to look at when outputs
 * look wrong: a /255 that is missing shows as max 255 where 1 was expected.
 */
import { invalidParameterError } from '../validate/index.js';
import { fromHalfBits } from '../normalize/index.js';

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
