/**
 * @module infra/image/options
 * Options of the sharp-backed decoder. `resize` picks how the letterbox is resampled:
 * 'cv2-linear' reproduces OpenCV's INTER_LINEAR bit for bit (core/resize) on sharp's full-size
 * decode; the sharp kernels resample inside libvips (faster, but not what the model was trained
 * on; see FIDELITY.md for the measured differences).
 */
import { usableCores } from '../host/usable-cores.js';
import { expectInteger, expectOneOf } from '../../core/validate/index.js';
import { JPEG_DECODER_CHOICES, type JpegDecoderChoice } from './turbojpeg.js';

export const SHARP_KERNELS = ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos3'] as const;
export type SharpKernel = (typeof SHARP_KERNELS)[number];
export type ResizeMode = 'cv2-linear' | SharpKernel;
export const RESIZE_MODES: readonly ResizeMode[] = ['cv2-linear', ...SHARP_KERNELS];

export interface SharpDecoderOptions {
  /** Largest oriented width * height accepted (decompression-bomb guard). @default 40_000_000 */
  readonly maxInputPixels: number;
  /** Largest encoded input in bytes; undefined = no limit here (the HTTP layer has its own). */
  readonly maxBytes?: number | undefined;
  /** How the letterbox is resampled. @default 'cv2-linear' (bit-exact with the reference) */
  readonly resize: ResizeMode;
  /** libvips threads per image (`sharp.concurrency`, a process-wide setting). @default 1 */
  readonly concurrency: number;
  /**
   * Decode worker threads that run the pixel pass (sharp decode + letterbox), keeping it off the
   * caller's event loop; 0 runs it in the calling thread. The header is always read in the
   * caller's thread (it decides the plan). @default decodeWorkersFor(usableCores().cores): the CPUs, or the cgroup's CPU quota where lower
   */
  readonly workers: number;
  /**
   * Who decodes plain JPEGs: libjpeg-turbo directly ('turbojpeg', the native addon), sharp, or
   * 'auto' (the addon where it is built). Same pixels either way. @default 'auto'
   */
  readonly jpegDecoder: JpegDecoderChoice;
}

/** More decode workers than this only contend with libvips, the engine and the event loop. */
export const MAX_DEFAULT_DECODE_WORKERS = 8;

/**
 * The default decode workers for a process that may use `cores` cores: one per core beyond the
 * one the event loop needs, capped. On a GPU host the engine costs the CPU little and decode is
 * what bounds throughput, so more cores buy more decoders; on 1 core a worker adds only a hop
 * (0: decode in the calling thread); on 2 cores, 1. The hop costs latency at batch 1 on 2 cores
 * (bench `pipeline`: detect 1.55x a bare run with a worker, 1.32x without, 2026-11); the default
 * serves throughput, measured with the engine out of the way by bench `pipeline-null-engine`.
 */
export function decodeWorkersFor(cores: number): number {
  return Math.min(MAX_DEFAULT_DECODE_WORKERS, Math.max(0, Math.floor(cores) - 1));
}

export const DEFAULT_DECODER_OPTIONS: Readonly<SharpDecoderOptions> = Object.freeze({
  maxInputPixels: 40_000_000,
  resize: 'cv2-linear',
  concurrency: 1,
  workers: decodeWorkersFor(usableCores().cores),
  jpegDecoder: 'auto',
});

export function resolveDecoderOptions(options: Partial<SharpDecoderOptions> = {}): SharpDecoderOptions {
  const o = { ...DEFAULT_DECODER_OPTIONS, ...options };
  return Object.freeze({
    maxInputPixels: expectInteger('maxInputPixels', o.maxInputPixels, 1),
    maxBytes: o.maxBytes === undefined ? undefined : expectInteger('maxBytes', o.maxBytes, 1),
    resize: expectOneOf('resize', o.resize, RESIZE_MODES),
    concurrency: expectInteger('concurrency', o.concurrency, 1, 256),
    workers: expectInteger('workers', o.workers, 0, 64),
    jpegDecoder: expectOneOf('jpegDecoder', o.jpegDecoder, JPEG_DECODER_CHOICES),
  });
}
