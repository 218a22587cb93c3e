import { describe, expect, it } from 'vitest';
import { createSpareBuffers } from './spare-buffers.js';

describe('createSpareBuffers', () => {
  it('hands back given buffers by exact length, keeping at most `keep` per length', () => {
    const b = createSpareBuffers(1);
    const [x, y, z] = [new Uint8Array(12), new Uint8Array(12), new Uint8Array(24)];
    b.give(x);
    b.give(y); // over `keep`: dropped
    b.give(z);
    expect(b.size).toBe(2);
    expect(b.take(36)).toBeUndefined();
    expect(b.take(12)).toBe(x);
    expect(b.take(12)).toBeUndefined();
    expect(b.take(24)).toBe(z);
    expect(b.size).toBe(0);
  });

  it('ignores views (their buffer is shared with something else), detached buffers and a buffer given twice', () => {
    const b = createSpareBuffers(4);
    b.give(new Uint8Array(24).subarray(0, 12));
    const moved = new Uint8Array(12);
    structuredClone(moved.buffer, { transfer: [moved.buffer] });
    b.give(moved);
    const twice = new Uint8Array(12);
    b.give(twice);
    b.give(twice);
    expect(b.size).toBe(1);
    expect(b.take(12)).toBe(twice);
    expect(b.take(12)).toBeUndefined();
  });
});
