import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findModelsDir, resolveModelPaths } from './serve.js';

describe('resolveModelPaths', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-models-'));

  it('takes DETECTFN_MODELS first, resolving local paths and keeping URIs', () => {
    expect(resolveModelPaths(['a.json', 's3://b/m.onnx'], dir)).toEqual([path.resolve('a.json'), 's3://b/m.onnx']);
  });

  it('else lists models/*.json in name order (not subfolders)', () => {
    mkdirSync(path.join(dir, 'examples'));
    for (const f of ['b.json', 'a.json', 'examples/x.json', 'notes.txt']) writeFileSync(path.join(dir, f), '{}');
    expect(resolveModelPaths([], dir)).toEqual([path.join(dir, 'a.json'), path.join(dir, 'b.json')]);
  });

  it('names DETECTFN_MODELS when there is nothing to serve', () => {
    expect(() => resolveModelPaths([], mkdtempSync(path.join(tmpdir(), 'detectfn-empty-')))).toThrow(/DETECTFN_MODELS/);
  });

  it("finds the repo's models/ from this file", () => {
    expect(findModelsDir()).toBe(path.resolve(import.meta.dirname, '../models'));
  });
});
