import { describe, expect, it } from 'vitest';
import { freeNow } from './free-now.js';

describe('freeNow', () => {
  it('detaches whole plain buffers at once, and their memory leaves the process count', () => {
    const before = process.memoryUsage().arrayBuffers;
    const big = [new Float32Array(4_000_000), new Uint8Array(16_000_000)];
    expect(process.memoryUsage().arrayBuffers - before).toBeGreaterThanOrEqual(32_000_000);
    freeNow(big);
    expect(big.map((a) => a.byteLength)).toEqual([0, 0]);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1_000_000);
  });

  it('leaves alone what shares its memory: views of a larger buffer, pooled Buffers, SharedArrayBuffers', () => {
    const whole = new Uint8Array(64);
    const view = whole.subarray(8, 16);
    const pooled = Buffer.from('small strings live in a shared pool');
    const shared = new Uint8Array(new SharedArrayBuffer(32));
    freeNow([view, pooled, shared]);
    expect([whole.byteLength, view.byteLength, shared.byteLength]).toEqual([64, 8, 32]);
    expect(pooled.toString()).toBe('small strings live in a shared pool');
  });
});
