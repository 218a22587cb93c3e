/**
 * @module infra/image/rgb-png
 * Raw HWC RGB <-> PNG, for the inspector's model's-eye view and its synthetic warmup image.
 * PNG is lossless, so the pixels a client reads back are exactly the ones computed.
 */
import sharp from 'sharp';

export async function encodeRgbPng(pixels: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const png = await sharp(pixels, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.length);
}
