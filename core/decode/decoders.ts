/**
 * @module core/decode/decoders
 * The decoder lookup. There is no global registry: a service builds its set once at start-up
 * and passes it along. Adding a layout is one new decoder file plus an entry in `extra`.
 */
import { DetectError } from '../errors/index.js';
import { end2endDecoder } from './end2end.js';
import type { DecoderSet, OutputDecoder } from './types.js';
import { yolov5Decoder } from './yolov5.js';
import { createYolov8Decoder } from './yolov8.js';

/**
 * The built-in layouts plus `extra` (an extra entry may replace a built-in of the same name).
 * yolov8 gets its own decoder with the WebAssembly SIMD scan where the runtime has it: keep the
 * set (one per thread), do not build one per request.
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
