import { describe, expect, it } from 'vitest';
import { createPixelBuffers } from './pixel-buffers.js';

const feed = (data: Uint8Array) => ({ images: { dtype: 'uint8' as const, dims: [data.length], data } });

describe('createPixelBuffers', () => {
  it('hands back returned buffers by exact length, keeping at most `keep` per length', () => {
    const b = createPixelBuffers(1);
    const [x, y] = [new Uint8Array(12), new Uint8Array(12)];
    b.give(feed(x));
    b.give(feed(y)); // over `keep`: dropped
    expect(b.take(24)).toBeUndefined();
    expect(b.take(12)).toBe(x);
    expect(b.take(12)).toBeUndefined();
  });

  it('ignores views, whose buffer is shared with something else', () => {
    const b = createPixelBuffers(4);
    b.give(feed(new Uint8Array(24).subarray(0, 12)));
    expect(b.take(12)).toBeUndefined();
  });
});
