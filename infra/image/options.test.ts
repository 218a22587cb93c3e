import { usableCores } from '../host/usable-cores.js';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { createSharpDecoder, decodeWorkersFor, DEFAULT_DECODER_OPTIONS } from './index.js';

describe('decode worker default', () => {
  it('is one per core beyond the event loop, none on one core, capped at 8', () => {
    expect([1, 2, 3, 4, 8, 9, 16, 64].map(decodeWorkersFor)).toEqual([0, 1, 2, 3, 7, 8, 8, 8]);
    expect(decodeWorkersFor(0)).toBe(0); // a cgroup reporting no full core still decodes in-thread
  });

  it('follows the cores this process may use when DETECTFN_DECODE_WORKERS is unset', async () => {
    const config = loadConfig({});
    expect(config.DETECTFN_DECODE_WORKERS).toBeUndefined();
    const decoder = createSharpDecoder();
    expect(decoder.options.workers).toBe(decodeWorkersFor(usableCores().cores));
    expect(DEFAULT_DECODER_OPTIONS.workers).toBe(decoder.options.workers);
    await decoder.close();
  });

  it('takes an explicit count, 0 included, and names the variable when it is bad', () => {
    expect(loadConfig({ DETECTFN_DECODE_WORKERS: '0' }).DETECTFN_DECODE_WORKERS).toBe(0);
    expect(createSharpDecoder({ workers: 0 }).options.workers).toBe(0);
    expect(() => loadConfig({ DETECTFN_DECODE_WORKERS: '65' })).toThrow(/DETECTFN_DECODE_WORKERS/);
  });
});
