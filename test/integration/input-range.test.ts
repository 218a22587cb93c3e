/**
 * The warmup range check in a real child server (dist/server.js, the real demo model): one
 * synthetic image through the real preprocessing; a manifest whose scale/mean/std put the tensor
 * outside what the model expects stops start-up (exit 1, one fatal line naming both sides, no
 * retries); a correct one starts and logs the measured range. Needs `npm run build`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnDist } from '../helpers/server-process.js';
import { repoRoot } from '../helpers/shared-data.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'detectfn-range-'));
const DEMO_ONNX = path.join(repoRoot, 'models/demo/demo.onnx');

function demoManifest(name: string, extra: { input?: object; preprocess?: object }): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({
    name, source: { uri: DEMO_ONNX }, input: { shape: ['batch', 3, 320, 320], ...extra.input }, preprocess: extra.preprocess ?? {}, batching: { batchSizes: [1] },
  }));
  return file;
}

function serve(manifest: string) {
  return spawnDist('server.js', [], { DETECTFN_MODELS: manifest, DETECTFN_CACHE_DIR: mkdtempSync(path.join(dir, 'cache-')), DETECTFN_GRPC_PORT: '0' });
}

describe('warmup input range check', () => {
  it.each([
    ['scale 1 against the Ultralytics metadata (0-1)', { preprocess: { scale: 1 } },
      /^model failed to load, exiting: .*the preprocessed input spans 0 to 255 \(a black\/white test image through preprocess\.scale 1\) but the model's Ultralytics metadata \(YOLO models expect 0-1\) says 0 to 1$/],
    ['/255 against a manifest input.range of [-1, 1] with mean/std', { input: { range: [-1, 1] }, preprocess: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } },
      /the preprocessed input spans -2 to 2 \(a black\/white test image through preprocess\.scale 0\.00392\d*, mean \[0\.5, 0\.5, 0\.5\], std \[0\.25, 0\.25, 0\.25\]\) but the manifest's input\.range \[-1, 1\] says -1 to 1$/],
  ] as const)('%s stops start-up: exit 1, one fatal line naming both', async (name, extra, message) => {
    const p = serve(demoManifest(`bad-${name.length}`, extra));
    const { code } = await p.exited;
    expect(code).toBe(1);
    const fatal = p.lines.filter((l) => l.level === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toMatch(message);
    // Permanent (MODEL_MISMATCH): not retried, so the message has no "after N attempts".
    expect(fatal[0]!.msg).toMatch(/^model failed to load, exiting: model bad-\d+ failed to load: model bad-\d+: the preprocessed/);
  });

  it('a correct manifest starts and logs the measured range (0-1 for /255)', async () => {
    const p = serve(demoManifest('good', {}));
    try {
      const line = await p.waitForLine((l) => l.msg === 'warmup input range (synthetic black/white image)');
      expect(line).toMatchObject({ model: 'good', inputRange: [0, 1], expected: [0, 1] });
      await p.waitForLine((l) => l.msg === 'listening');
    } finally {
      p.stop();
      await p.exited;
    }
  });
});
