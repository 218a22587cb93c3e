import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { asFolder, defaultErrorsLocation, parseLocation, resultKey } from './location.js';

describe('parseLocation', () => {
  it('splits s3 URIs into bucket and prefix, and takes anything else as a directory', () => {
    expect(parseLocation('s3://b/results/')).toMatchObject({ kind: 's3', bucket: 'b', prefix: 'results/' });
    expect(parseLocation('s3://b')).toMatchObject({ kind: 's3', bucket: 'b', prefix: '' });
    expect(parseLocation('out/dir')).toMatchObject({ kind: 'file', bucket: path.resolve('out/dir'), prefix: '' });
  });

  it('refuses other schemes and empty strings, naming the option', () => {
    expect(() => parseLocation('gs://b/x', '--out')).toThrow(/--out/);
    expect(() => parseLocation('', '--out')).toThrow(/--out/);
  });
});

describe('keys', () => {
  it('mirrors the input key under the prefix', () => {
    expect(resultKey('results/', 'a/b c+d.jpg')).toBe('results/a/b c+d.jpg.json');
    expect(asFolder('results')).toBe('results/');
    expect(asFolder('')).toBe('');
  });

  it('puts error records under _errors/ of the output by default', () => {
    const e = defaultErrorsLocation(parseLocation('s3://b/results'));
    expect(e).toMatchObject({ bucket: 'b', prefix: 'results/_errors/' });
  });
});
