import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/helpers/shared-data.js';
import { defaultManifestForOnnx, loadManifest } from './load-manifest.js';

describe('loadManifest', () => {
  it('resolves a relative source path against the manifest folder', async () => {
    const demo = await loadManifest(path.join(repoRoot, 'models/demo.json'));
    expect(demo.source.uri).toBe(path.join(repoRoot, 'models/demo/demo.onnx'));
    expect(demo.input.shape).toEqual(['batch', 3, 320, 320]);
  });

  it('loads the examples; s3:// URIs stay as they are', async () => {
    const s3 = await loadManifest(path.join(repoRoot, 'models/examples/yolov8n-s3.json'));
    expect(s3.source).toEqual({ uri: 's3://models/yolov8n.onnx', sha256: expect.stringMatching(/^35e3c61f/) });
    const file = await loadManifest(path.join(repoRoot, 'models/examples/yolov8n-file.json'));
    expect(file.source.uri).toBe(path.resolve(repoRoot, '../shared/data/models/yolov8n.onnx'));
    expect(file.engine.providers).toEqual(['cuda', 'cpu']);
  });

  it('names the file for unreadable, non-JSON and invalid manifests', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'detectfn-manifest-'));
    await writeFile(path.join(dir, 'bad.json'), '{"name": ');
    await writeFile(path.join(dir, 'invalid.json'), '{"name": "x", "source": {"uri": "x.onnx"}, "warmup": {"iterations": 0}}');
    await expect(loadManifest(path.join(dir, 'missing.json'))).rejects.toThrow(/missing.json: cannot be read \(ENOENT\)/);
    await expect(loadManifest(path.join(dir, 'bad.json'))).rejects.toThrow(/bad.json: not valid JSON/);
    await expect(loadManifest(path.join(dir, 'invalid.json'))).rejects.toThrow(/invalid.json: warmup.iterations: expected positive integer/);
  });
});

describe('defaultManifestForOnnx', () => {
  it('names the model after the file and keeps every default', () => {
    expect(defaultManifestForOnnx('s3://models/yolov8n-fp16.onnx')).toMatchObject({ name: 'yolov8n-fp16', source: { uri: 's3://models/yolov8n-fp16.onnx' }, labels: 'metadata' });
    expect(defaultManifestForOnnx('/models/my model.onnx').name).toBe('my-model');
    expect(defaultManifestForOnnx('rel/m.onnx').source.uri).toBe(path.resolve('rel/m.onnx'));
  });
});
