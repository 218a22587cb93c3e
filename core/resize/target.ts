/**
 * @module core/resize/target
 * The output buffer of a letterbox or crop: the caller's spent buffer when it has exactly the
 * target's length (a recycled one: no allocation, no fresh pages to fault in), else a new one;
 * either way filled with the pad grey first, so nothing of its last image survives.
 */

/** `length` bytes of `padValue`: `into` itself when its length matches, else a new buffer. */
export function paddedTarget(length: number, padValue: number, into?: Uint8Array): Uint8Array {
  const out = into instanceof Uint8Array && into.length === length ? into : new Uint8Array(length);
  return out.fill(padValue);
}
