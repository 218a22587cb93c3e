import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { asFolder, compareSequencers, defaultErrorsLocation, isCurrent, isSuperseded, keyProblem, metadataFromResultBody, parseLocation, refusal, refusedRecordKey, resultKey, resultMetadata } from './records.js';
import type { Destination, ObjectStore } from './stores.js';

const store = {} as ObjectStore;
const dest = (prefix: string, bucket = 'out'): Destination => ({ store, bucket, prefix, uri: `s3://${bucket}/${prefix}` });
const rules = (output = dest('results/'), errors = dest('results/_errors/'), allowed?: string[]) => ({ output, errors, allowed: allowed && new Set(allowed) });

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

describe('refusal', () => {
  it('names keys with empty, . or .. segments and passes ordinary ones', () => {
    expect(keyProblem('x/../bus.jpg')).toBe(`object key "x/../bus.jpg" has a '..' segment`);
    expect(keyProblem('./a.png')).toMatch(/a '\.' segment/);
    expect(keyProblem('a//b.png')).toMatch(/an empty segment/);
    expect(keyProblem('/lead.png')).toMatch(/an empty segment/);
    expect(keyProblem('dir/')).toMatch(/an empty segment/);
    for (const ok of ['bus.jpg', 'a/b/c.png', '...png', '.hidden', 'a..b/c', 'ünï/猫 +%20.png']) expect(keyProblem(ok)).toBeUndefined();
  });

  it('refuses buckets off the allowlist before the key, and keys whose outputs would cross', () => {
    expect(refusal('other', 'x/../a.png', 'x/../a.png', rules(undefined, undefined, ['in']))?.code).toBe('BUCKET_NOT_ALLOWED');
    expect(refusal('in', 'a.png', 'a.png', rules(undefined, undefined, ['in']))).toBeUndefined();
    expect(refusal('in', 'a/../../b.png', 'a/../../b.png', rules())?.code).toBe('INVALID_ARGUMENT');
    // The default layout: `_errors/x` would write its result over the error record of `x`.
    expect(refusal('in', '_errors/x.png', '_errors/x.png', rules())?.message).toMatch(/result among the error records/);
    // Errors as the parent of the output: `results/x` would write its error record over the result of `x`.
    expect(refusal('in', 'results/x.png', 'results/x.png', rules(dest('e/results/'), dest('e/')))?.message).toMatch(/error record among the results/);
    expect(refusal('in', 'x.png', 'x.png', rules(dest('e/results/'), dest('e/')))).toBeUndefined();
    // Another bucket for errors: no overlap is possible.
    expect(refusal('in', '_errors/x.png', '_errors/x.png', rules(dest('results/'), dest('results/_errors/', 'errs')))).toBeUndefined();
  });

  it('names refused records by a hash, never ending in .json, distinct per bucket and key', () => {
    const a = refusedRecordKey('results/_errors/', 'in', 'x/../bus.jpg');
    expect(a).toMatch(/^results\/_errors\/_refused\/[0-9a-f]{64}$/);
    expect(refusedRecordKey('results/_errors/', 'in2', 'x/../bus.jpg')).not.toBe(a);
    expect(refusedRecordKey('results/_errors/', 'in', 'x/../bus.jpg')).toBe(a);
  });
});

describe('ordering', () => {
  it('compares sequencers as AWS documents: left-pad with zeros, then lexicographically', () => {
    expect(compareSequencers('0A1B2C3D4E5F678902', '0A1B2C3D4E5F678901')).toBe(1);
    expect(compareSequencers('FF', '100')).toBe(-1);
    expect(compareSequencers('00ff', 'FF')).toBe(0);
    expect(compareSequencers('9', 'A')).toBe(-1);
  });

  it('calls a stored result from a later event superseding; unknown order never is', () => {
    const meta = resultMetadata('demo', '1', 'etag', { versionId: 'v2', sequencer: '0055' });
    expect(isSuperseded(meta, '0054')).toBe(true);
    expect(isSuperseded(meta, '0055')).toBe(false);
    expect(isSuperseded(meta, '56')).toBe(false);
    expect(isSuperseded(meta, undefined)).toBe(false);
    expect(isSuperseded(resultMetadata('demo', '1', 'etag'), '01')).toBe(false);
  });
});

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
