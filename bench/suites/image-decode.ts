/**
 * @module bench/suites/image-decode
 * bus.jpg bytes -> 640x640 letterboxed RGB through the default decoder (sharp decode +
 * bit-exact cv2 INTER_LINEAR, WebAssembly SIMD route), the same with the JS reference resize
 * (the pre-WASM path) in the same run, each resize alone, and sharp's linear kernel for scale.
 * Peer: OpenCV decodes and letterboxes bus.jpg in 10.4 ms on this machine.
 */
import { readFileSync } from 'node:fs';
import { planLetterbox } from '../../core/letterbox/index.js';
import { createLinearResizer, letterboxLinear } from '../../core/resize/index.js';
import { createSharpDecoder, decodeFullRgb } from '../../infra/image/index.js';
import { IMAGES } from '../../test/helpers/shared-data.js';
import { summarize, timeIt, type BenchSuite } from '../report.js';

export const imageDecodeSuite: BenchSuite = {
  name: 'image-decode',
  async run(ctx) {
    const n = ctx.quick ? 20 : 100;
    const bytes = new Uint8Array(readFileSync(IMAGES.bus()));
    const decoder = createSharpDecoder();
    ctx.progress(`decode_letterbox x${n} (resize ${decoder.options.resize})`);
    const full = await timeIt(() => decoder.decode(bytes, (s) => planLetterbox(s)), n);
    ctx.progress(`decode + JS reference letterbox x${n}`);
    const decodeJs = await timeIt(async () => {
      const rgb = await decodeFullRgb(bytes, 40_000_000);
      return letterboxLinear({ ...rgb, channels: 3 }, planLetterbox({ width: rgb.width, height: rgb.height }));
    }, n);
    const rgb = await decodeFullRgb(bytes, 40_000_000);
    const plan = planLetterbox({ width: rgb.width, height: rgb.height });
    const resizer = createLinearResizer();
    ctx.progress(`cv2-linear resize only x${n} (${resizer.route}, js)`);
    const resize = await timeIt(() => letterboxLinear({ ...rgb, channels: 3 }, plan, resizer), n);
    const resizeJs = await timeIt(() => letterboxLinear({ ...rgb, channels: 3 }, plan), n);
    const linear = createSharpDecoder({ resize: 'linear' });
    ctx.progress(`sharp linear kernel x${n}`);
    const sharpLinear = await timeIt(() => linear.decode(bytes, (s) => planLetterbox(s)), n);
    createSharpDecoder(); // restore the default concurrency setting
    return [
      summarize('image.decode_letterbox.bus', 'ms', full, { note: 'default path (cv2-linear, bit-exact); OpenCV: 10.4 ms here' }),
      summarize('image.decode_letterbox.bus.js_resize', 'ms', decodeJs, { note: 'same, JS reference resize (the path before the WASM kernel)' }),
      summarize('image.letterbox_cv2_linear.bus', 'ms', resize, { note: `${resizer.route} resize+pad only, 810x1080 -> 640x640` }),
      summarize('image.letterbox_cv2_linear.bus.js', 'ms', resizeJs, { note: 'JS reference resize+pad only' }),
      summarize('image.decode_letterbox.bus.sharp_linear', 'ms', sharpLinear, { note: 'libvips linear kernel, not cv2-exact (mean diff 3.0)' }),
    ];
  },
};
