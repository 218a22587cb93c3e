/**
 * @module core/nms/class-slots
 * Maps each sorted candidate to a dense class slot for the per-class kept lists. Class ids are
 * small non-negative integers in practice (COCO: 0..79), which index a typed array directly;
 * anything else (negative or huge ids from a custom decoder) is renumbered through a Map once.
 */

const DIRECT_LIMIT = 1 << 16;

export interface ClassSlots {
  /** Slot of the candidate at sorted position r. */
  slotOf(r: number): number;
  readonly slotCount: number;
}

export function classSlots(classIds: Int32Array, order: Int32Array, agnostic: boolean): ClassSlots {
  if (agnostic) return { slotOf: () => 0, slotCount: 1 };
  let min = 0;
  let max = 0;
  for (let r = 0; r < order.length; r++) {
    const id = classIds[order[r]!]!;
    if (id < min) min = id;
    if (id > max) max = id;
  }
  if (min >= 0 && max < DIRECT_LIMIT) return { slotOf: (r) => classIds[order[r]!]!, slotCount: max + 1 };
  const dense = new Int32Array(order.length);
  const seen = new Map<number, number>();
  for (let r = 0; r < order.length; r++) {
    const id = classIds[order[r]!]!;
    let s = seen.get(id);
    if (s === undefined) seen.set(id, (s = seen.size));
    dense[r] = s;
  }
  return { slotOf: (r) => dense[r]!, slotCount: seen.size };
}
