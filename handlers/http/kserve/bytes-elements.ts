/**
 * @module handlers/http/kserve/bytes-elements
 * BYTES tensors as the binary-data extension (and tritonclient's serialize_byte_tensor) lay
 * them out: each element is a 4-byte little-endian unsigned length followed by its bytes.
 */
import { DetectError } from '../../../core/errors/index.js';

export function decodeBytesElements(raw: Uint8Array, expected: number, name: string): Uint8Array[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < raw.byteLength) {
    if (at + 4 > raw.byteLength) {
      throw new DetectError('INVALID_ARGUMENT', `input '${name}': BYTES element ${out.length} has a truncated length prefix`);
    }
    const len = view.getUint32(at, true);
    if (at + 4 + len > raw.byteLength) {
      throw new DetectError('INVALID_ARGUMENT', `input '${name}': BYTES element ${out.length} claims ${len} bytes but only ${raw.byteLength - at - 4} remain`);
    }
    out.push(raw.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  if (out.length !== expected) {
    throw new DetectError('INVALID_ARGUMENT', `input '${name}': shape says ${expected} BYTES elements but the data holds ${out.length}`);
  }
  return out;
}

export function encodeBytesElements(elements: readonly Uint8Array[]): Uint8Array {
  const total = elements.reduce((n, e) => n + 4 + e.byteLength, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const e of elements) {
    view.setUint32(at, e.byteLength, true);
    out.set(e, at + 4);
    at += 4 + e.byteLength;
  }
  return out;
}
