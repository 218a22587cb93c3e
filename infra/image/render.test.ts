import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { Detection } from '../../core/types.js';
import { escapeXml, overlaySvg, renderDetections } from './render.js';

const det = (box: [number, number, number, number], label = 'person', classId = 0): Detection => ({ box, score: 0.87, classId, label });

describe('renderDetections', () => {
  it('returns a JPEG of the oriented source size whose pixels under a box edge changed', async () => {
    // Stored 120x80 grey, EXIF orientation 6: the oriented (and returned) size is 80x120.
    const src = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#808080' } }).jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 }).toBuffer();
    const out = await renderDetections(src, [det([10, 40, 70, 100])], { lineWidth: 4 });
    expect([...out.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 80, 120]);
    const { data } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => [...data.subarray((y * 80 + x) * 3, (y * 80 + x) * 3 + 3)];
    const [r, g, b] = px(10, 70); // left edge of the box: class 0 colour #FF3838
    expect(r! - g!).toBeGreaterThan(80);
    expect(r! - b!).toBeGreaterThan(80);
    const inside = px(40, 80);
    expect(Math.max(...inside.map((v) => Math.abs(v - 128)))).toBeLessThan(12);
  });

  it('escapes label text so a crafted label cannot inject markup', () => {
    expect(escapeXml(`<script>"a"&'b'</script>`)).toBe('&#60;script&#62;&#34;a&#34;&#38;&#39;b&#39;&#60;/script&#62;');
    const svg = overlaySvg({ width: 50, height: 50 }, [det([1, 1, 20, 20], '</text><image href="x"/>', 3)]);
    expect(svg).not.toContain('<image');
    expect(svg).toContain('#FFB21D');
  });

  it('renders a hostile label without failing and refuses non-images', async () => {
    const src = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#000' } }).png().toBuffer();
    await expect(renderDetections(src, [det([0, 0, 30, 30], '&<>"\'')])).resolves.toBeInstanceOf(Uint8Array);
    await expect(renderDetections(Buffer.from('nope'), [])).rejects.toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });
});
