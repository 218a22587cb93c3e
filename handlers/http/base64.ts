/**
 * @module handlers/http/base64
 * Base64 images from JSON bodies. Buffer.from(s, 'base64') silently skips junk, so the text is
 * checked first: a truncated or mangled upload is a 400 naming the field, not a confusing
 * "unsupported image format" later. `data:<type>;base64,` prefixes are stripped.
 */
import { DetectError } from '../../core/errors/index.js';
import { invalidParameterError } from '../../core/validate/index.js';

const DATA_URL = /^data:[^,;]*(;[^,;]*)*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export function decodeBase64Image(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string') throw invalidParameterError(field, 'base64 string or data: URL', value);
  const text = value.replace(DATA_URL, '').replace(/\s+/g, '');
  if (text === '') throw new DetectError('EMPTY_BODY', `${field} is empty`);
  if (!BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new DetectError('INVALID_ARGUMENT', `${field} is not valid base64`, { details: { field } });
  }
  const buf = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
