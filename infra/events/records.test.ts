import { describe, expect, it } from 'vitest';
import { isCurrent, metadataFromResultBody, resultMetadata } from './records.js';

describe('result metadata', () => {
  it('matches only the same input ETag, model and version', () => {
    const meta = resultMetadata('demo', '1', 'abc');
    expect(isCurrent(meta, 'demo', '1', 'abc')).toBe(true);
    expect(isCurrent(meta, 'demo', '2', 'abc')).toBe(false);
    expect(isCurrent(meta, 'demo', '1', 'abd')).toBe(false);
    expect(isCurrent(undefined, 'demo', '1', 'abc')).toBe(false);
  });

  it('keeps header values ASCII and reads the same fields back from a result body', () => {
    const meta = resultMetadata('modèle', '1', 'e-1');
    expect(Object.values(meta).every((v) => /^[\x20-\x7e]*$/.test(v))).toBe(true);
    const body = JSON.stringify({ model: { name: 'modèle', version: '1' }, input: { bucket: 'b', key: 'k', eTag: 'e-1' } });
    expect(metadataFromResultBody(body)).toEqual(meta);
    expect(metadataFromResultBody('{"half')).toBeUndefined();
  });
});
