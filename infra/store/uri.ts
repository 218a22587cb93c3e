/**
 * @module infra/store/uri
 * Model locations: `s3://bucket/key` goes through S3; `file://` URLs and plain paths are read in
 * place. Anything else (http://, gs://) is rejected up front rather than read as a relative path.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidParameterError } from '../../core/validate/index.js';

export type ModelLocation =
  | { readonly kind: 's3'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'file'; readonly path: string };

export function parseModelUri(uri: string): ModelLocation {
  if (typeof uri !== 'string' || uri.length === 0) throw invalidParameterError('uri', 's3://bucket/key, file:// URL or path', uri);
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (s3) return { kind: 's3', bucket: s3[1]!, key: s3[2]! };
  if (uri.startsWith('file://')) {
    try {
      return { kind: 'file', path: fileURLToPath(uri) };
    } catch {
      throw invalidParameterError('uri', 'an absolute file:// URL', uri);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw invalidParameterError('uri', 's3://bucket/key, file:// URL or path', uri);
  return { kind: 'file', path: path.resolve(uri) };
}
