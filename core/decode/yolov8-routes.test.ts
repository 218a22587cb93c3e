import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DetectError } from '../errors/index.js';
import { createYolov8Decoder, yolov8Decoder } from './index.js';

const wasm = createYolov8Decoder({ route: 'wasm-simd' });
const js = createYolov8Decoder({ route: 'js' });

describe('yolov8 decoder routes', () => {
  it("'auto' takes wasm-simd here, the stateless export stays on js", () => {
    expect(createYolov8Decoder().route).toBe('wasm-simd');
    expect(yolov8Decoder.route).toBe('js');
    expect(() => createYolov8Decoder({ route: 'gpu' as never })).toThrow(DetectError);
  });

  it('both routes give identical candidates on random [1, 4+nc, n] outputs, with class filters', () => {
    const pool = fc.oneof(fc.constantFrom(0, 0.001, Math.fround(0.001), 0.25, 0.5, 0.9), fc.float({ min: 0, max: 1, noNaN: true }));
    const input = fc
      .record({ nc: fc.integer({ min: 1, max: 6 }), n: fc.integer({ min: 1, max: 40 }) })
      .chain(({ nc, n }) =>
        fc.record({
          nc: fc.constant(nc),
          n: fc.constant(n),
          values: fc.array(pool, { minLength: (4 + nc) * n, maxLength: (4 + nc) * n }),
          conf: fc.constantFrom(0, 0.001, 0.25, 0.5),
          classes: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: nc - 1 })), { nil: undefined }),
        }),
      );
    fc.assert(
      fc.property(input, ({ nc, n, values, conf, classes }) => {
        const outputs = { output0: { dtype: 'float32' as const, dims: [1, 4 + nc, n], data: Float32Array.from(values) } };
        const opts = classes === undefined ? { conf } : { conf, classes };
        expect(wasm.decode(outputs, 0, opts)).toEqual(js.decode(outputs, 0, opts));
      }),
      { numRuns: 300 },
    );
  });
});
