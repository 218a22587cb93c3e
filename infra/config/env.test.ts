import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

describe('loadConfig', () => {
  it('applies defaults to an empty environment', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8080);
    expect(c.DETECTFN_MODELS).toEqual([]);
    expect(c.DETECTFN_API_KEYS).toEqual([]);
    expect(c.DETECTFN_S3_FORCE_PATH_STYLE).toBe(false);
  });

  it('parses numbers, lists and booleans', () => {
    const c = loadConfig({ PORT: '9000', DETECTFN_MODELS: 'a.json, b.onnx', DETECTFN_S3_FORCE_PATH_STYLE: 'true', DETECTFN_API_KEYS: '' });
    expect(c.PORT).toBe(9000);
    expect(c.DETECTFN_MODELS).toEqual(['a.json', 'b.onnx']);
    expect(c.DETECTFN_S3_FORCE_PATH_STYLE).toBe(true);
  });

  it('names the bad variable', () => {
    expect(() => loadConfig({ DETECTFN_MAX_BODY_BYTES: 'ten' })).toThrow(/DETECTFN_MAX_BODY_BYTES/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });
});
