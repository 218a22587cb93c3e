import { describe, expect, it } from 'vitest';
import { unquoteETag } from './s3.js';

describe('unquoteETag', () => {
  it('reads an ETag the same whether it came quoted (HEAD, GET, listings) or bare (event records)', () => {
    expect(unquoteETag('"5289df737df57326fcdd22597afb1fac"')).toBe('5289df737df57326fcdd22597afb1fac');
    expect(unquoteETag('5289df737df57326fcdd22597afb1fac')).toBe('5289df737df57326fcdd22597afb1fac');
    expect(unquoteETag('"abc-2"')).toBe('abc-2');
  });

  it('gives undefined for a missing or empty ETag, so callers ask S3 instead', () => {
    expect(unquoteETag(undefined)).toBeUndefined();
    expect(unquoteETag('')).toBeUndefined();
    expect(unquoteETag('""')).toBeUndefined();
  });
});
