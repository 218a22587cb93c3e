/**
 * @module handlers/http/kserve/request-body
 * The inference request body after its Content-Encoding (gzip or deflate, as Triton's clients
 * send with request_compression_algorithm). Inflating stops as soon as the output passes the
 * /v2 body cap, so a small zip bomb costs at most the cap in memory and never inflates whole.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { DetectError } from '../../../core/errors/index.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);

export const SUPPORTED_ENCODINGS = ['gzip', 'deflate', 'identity'] as const;

async function inflateWith(fn: typeof gunzip, body: Uint8Array, limit: number, encoding: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fn(body, { maxOutputLength: limit }));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DetectError('PAYLOAD_TOO_LARGE', `request body inflates (Content-Encoding: ${encoding}) past ${limit} bytes`, { cause: err });
    }
    throw new DetectError('INVALID_ARGUMENT', `request body is not valid ${encoding} data (Content-Encoding: ${encoding}): ${(err as Error).message}`, { cause: err });
  }
}

/** `encoding` is the raw Content-Encoding header; `limit` bounds the inflated bytes. */
export async function decodeContentEncoding(body: Uint8Array, encoding: string | undefined, limit: number): Promise<Uint8Array> {
  const name = (encoding ?? 'identity').trim().toLowerCase();
  if (name === 'identity' || name === '') return body;
  if (name === 'gzip' || name === 'x-gzip') return inflateWith(gunzip, body, limit, 'gzip');
  if (name === 'deflate') {
    // HTTP's deflate is the zlib format (RFC 9110), but some clients send a raw deflate stream.
    const zlibHeader = body.byteLength >= 2 && (body[0]! & 0x0f) === 8 && ((body[0]! << 8) | body[1]!) % 31 === 0;
    return inflateWith(zlibHeader ? inflate : inflateRaw, body, limit, 'deflate');
  }
  throw new DetectError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding '${encoding}' is not supported; send ${SUPPORTED_ENCODINGS.join(', ')}`);
}
