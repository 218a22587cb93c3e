/**
 * @module handlers/http/image-body
 * Reads the images (and any body fields) of a detect request, whatever form they came in:
 * raw bytes (image/jpeg, image/png, image/webp, application/octet-stream), multipart/form-data
 * (every file part is an image, in order; text parts are parameters), or JSON
 * `{"image": "<base64>"}` / `{"images": ["<base64>", ...]}` (data: URLs accepted).
 * The size cap is applied before this runs (hono/body-limit).
 */
import { DetectError } from '../../core/errors/index.js';
import { decodeBase64Image } from './base64.js';

export const RAW_IMAGE_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream'];
/** Most images one request may carry. */
export const MAX_IMAGES_PER_REQUEST = 64;

export interface ImageBody {
  readonly images: Uint8Array[];
  /** Parameters carried in the body (JSON fields, multipart text parts). */
  readonly fields: Record<string, unknown>;
  /** True when the caller used a list form (`images` array, several multipart parts). */
  readonly list: boolean;
}

const mediaType = (header: string | undefined): string => (header ?? '').split(';')[0]!.trim().toLowerCase();

function checkCount(images: readonly Uint8Array[]): void {
  if (images.length === 0) throw new DetectError('EMPTY_BODY', 'the request carries no image');
  if (images.length > MAX_IMAGES_PER_REQUEST) {
    throw new DetectError('INVALID_ARGUMENT', `at most ${MAX_IMAGES_PER_REQUEST} images per request, got ${images.length}`);
  }
  images.forEach((img, i) => {
    if (img.byteLength === 0) throw new DetectError('EMPTY_BODY', `image ${i} is empty`);
  });
}

async function fromMultipart(req: Request): Promise<ImageBody> {
  const form = await req.formData().catch((err: unknown) => {
    throw new DetectError('INVALID_ARGUMENT', 'malformed multipart/form-data body', { cause: err });
  });
  const images: Uint8Array[] = [];
  const fields: Record<string, unknown> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields[name] = value;
    else images.push(new Uint8Array(await value.arrayBuffer()));
  }
  checkCount(images);
  return { images, fields, list: images.length > 1 };
}

async function fromJson(req: Request): Promise<ImageBody> {
  const text = await req.text();
  if (text.trim() === '') throw new DetectError('EMPTY_BODY', 'the request body is empty');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new DetectError('INVALID_ARGUMENT', 'the JSON body does not parse', { cause: err });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DetectError('INVALID_ARGUMENT', 'the JSON body must be an object with "image" or "images"');
  }
  const { image, images, ...fields } = body as Record<string, unknown>;
  if ((image === undefined) === (images === undefined)) {
    throw new DetectError('INVALID_ARGUMENT', 'the JSON body needs exactly one of "image" (base64) or "images" (array of base64)');
  }
  if (images !== undefined && !Array.isArray(images)) {
    throw new DetectError('INVALID_ARGUMENT', '"images" must be an array of base64 strings');
  }
  const list = images !== undefined;
  const decoded = (list ? (images as unknown[]) : [image]).map((v, i) => decodeBase64Image(v, list ? `images[${i}]` : 'image'));
  checkCount(decoded);
  return { images: decoded, fields, list };
}

export async function readImageBody(req: Request): Promise<ImageBody> {
  const type = mediaType(req.headers.get('content-type') ?? undefined);
  if (type === 'multipart/form-data') return fromMultipart(req);
  if (type === 'application/json') return fromJson(req);
  if (RAW_IMAGE_TYPES.includes(type)) {
    const bytes = new Uint8Array(await req.arrayBuffer());
    if (bytes.byteLength === 0) throw new DetectError('EMPTY_BODY', 'the request body is empty');
    return { images: [bytes], fields: {}, list: false };
  }
  if (req.body === null || req.headers.get('content-length') === '0') {
    throw new DetectError('EMPTY_BODY', 'the request body is empty');
  }
  throw new DetectError('UNSUPPORTED_MEDIA_TYPE', `unsupported Content-Type "${type || '(none)'}": send ${[...RAW_IMAGE_TYPES, 'multipart/form-data', 'application/json'].join(', ')}`);
}
