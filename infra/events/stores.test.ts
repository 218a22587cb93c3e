import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLimited } from './stores.js';

const chunks = (...sizes: number[]) => Readable.from(sizes.map((n, i) => new Uint8Array(n).fill(i + 1)));

describe('readLimited', () => {
  it('joins the chunks of a body within the limit', async () => {
    const out = await readLimited(chunks(3, 2), 5, 'obj');
    expect([...out]).toEqual([1, 1, 1, 2, 2]);
  });

  it('refuses a declared length over the limit before reading, and destroys the stream', async () => {
    const body = chunks(1);
    await expect(readLimited(body, 5, 's3://b/k', 6)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { declared: true, bytes: 6 } });
    expect(body.destroyed).toBe(true);
  });

  it('counts while streaming and stops at the first chunk past the limit when the length lies', async () => {
    const body = chunks(4, 4, 4);
    await expect(readLimited(body, 5, 's3://b/k', 3)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { declared: false, bytes: 8 } });
    expect(body.destroyed).toBe(true);
  });
});
