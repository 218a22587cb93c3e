import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsClassScan, type ClassScan } from './class-scan.js';
import { createWasmClassScan } from './class-scan-wasm.js';

/** The plain definition: first class reaching the max, kept only where the max is above conf (compared as doubles). */
function reference(data: Float32Array, first: number, nc: number, n: number, conf: number): number[][] {
  const out: number[][] = [];
  for (let a = 0; a < n; a++) {
    let best = -Infinity, cls = -1;
    for (let c = 0; c < nc; c++) if (data[first + c * n + a]! > best) (best = data[first + c * n + a]!), (cls = c);
    out.push(best > conf ? [cls, best] : [-1]);
  }
  return out;
}

function run(scan: ClassScan, data: Float32Array, first: number, nc: number, n: number, conf: number): number[][] {
  const { best, bestClass } = scan.scan(data, first, nc, n, conf);
  return Array.from(bestClass, (c, a) => (c < 0 ? [-1] : [c, best[a]!]));
}

// Few distinct values so ties, values equal to conf and float32-rounding edges come up often.
const POOL = [0, -0, 1e-8, 0.001, Math.fround(0.001), 0.25, Math.fround(0.2500001), 0.5, 0.9, -0.5, 1];
const score = fc.oneof(fc.constantFrom(...POOL), fc.float({ min: -1, max: 1, noNaN: true }));
const conf = fc.oneof(fc.constantFrom(0, 0.001, Math.fround(0.001), 0.25, 0.5), fc.double({ min: 0, max: 1, noNaN: true }));

const wasmScan = createWasmClassScan();

describe('class scan', () => {
  it('has the WebAssembly SIMD route on this runtime (Node 20)', () => {
    expect(wasmScan?.route).toBe('wasm-simd');
  });

  it('JS and WASM routes both match the plain definition on random tensors with ties', () => {
    const tensor = fc
      .record({ nc: fc.integer({ min: 1, max: 9 }), n: fc.integer({ min: 1, max: 70 }), lead: fc.integer({ min: 0, max: 5 }) })
      .chain(({ nc, n, lead }) => fc.record({ nc: fc.constant(nc), n: fc.constant(n), lead: fc.constant(lead), values: fc.array(score, { minLength: lead + nc * n, maxLength: lead + nc * n }), conf }));
    fc.assert(
      fc.property(tensor, ({ nc, n, lead, values, conf }) => {
        const data = Float32Array.from(values);
        const want = reference(data, lead, nc, n, conf);
        expect(run(jsClassScan, data, lead, nc, n, conf)).toEqual(want);
        expect(run(wasmScan!, data, lead, nc, n, conf)).toEqual(want);
      }),
      { numRuns: 400 },
    );
  });

  it('WASM route tiles wide rows (one row per tile) and scans the lanes past the last 16', () => {
    const nc = 3, n = 40_007, data = new Float32Array(4 * n + nc * n);
    for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 1000) / 1000;
    for (const conf of [0.25, 0.995]) expect(run(wasmScan!, data, 4 * n, nc, n, conf)).toEqual(reference(data, 4 * n, nc, n, conf));
  });

  it('reuses its scratch memory: a smaller call after a larger one still matches', () => {
    const big = Float32Array.from({ length: 5 * 5000 }, (_, i) => (i % 13) / 13);
    const small = Float32Array.from([0.3, 0.1, 0.2, 0.3, 0.9, 0.1]);
    run(wasmScan!, big, 0, 5, 5000, 0.5);
    expect(run(wasmScan!, small, 0, 2, 3, 0.25)).toEqual(reference(small, 0, 2, 3, 0.25));
  });
});
