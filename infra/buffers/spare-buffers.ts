/**
 * @module infra/buffers/spare-buffers
 * Recycled uint8 buffers, kept by exact byte length: a buffer that is reused is not allocated
 * and page-faulted again (1.2 MB per 640x640 image), and never becomes garbage for a GC to find.
 * Used for the engine's batch of pixels (handed back by the engine worker with each result) and
 * for the decoders' letterboxed pixels (handed back once packed into a batch).
 * Bounded: at most `keep` spare buffers per length; one more is dropped (left to the GC).
 */

export interface SpareBuffers {
  /** A spare buffer of exactly `length` bytes (removed from the spares), or undefined: the caller allocates. */
  take(length: number): Uint8Array | undefined;
  /**
   * Keeps `data` for a later take, unless `keep` of its length are already spare or it is a view
   * (its memory is shared with something else) or detached. The caller must not use it afterwards.
   */
  give(data: Uint8Array): void;
  /** Spare buffers held now, all lengths together. */
  readonly size: number;
}

/**
 * A zeroed buffer of `length` bytes on a SharedArrayBuffer. Posted to a worker it is shared, not
 * moved: no thread gets a new ArrayBuffer per message, so a buffer that goes back and forth
 * never again counts as young external memory to V8 (whose young-generation GCs are forced once
 * that count passes 32 MB, which transferred batches of pixels and outputs reach within a batch).
 */
export function sharedBytes(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

export function createSpareBuffers(keep: number): SpareBuffers {
  const spare = new Map<number, Uint8Array[]>();
  let size = 0;
  return {
    take(length) {
      const got = spare.get(length)?.pop();
      if (got) size--;
      return got;
    },
    give(data) {
      if (!(data instanceof Uint8Array) || data.length === 0 || data.byteOffset !== 0 || data.length !== data.buffer.byteLength) return;
      const list = spare.get(data.length) ?? [];
      // The same buffer twice would hand it to two writers at once.
      if (list.length >= keep || list.includes(data)) return;
      list.push(data);
      size++;
      spare.set(data.length, list);
    },
    get size() {
      return size;
    },
  };
}
