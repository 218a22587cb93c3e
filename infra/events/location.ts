/**
 * @module infra/events/location
 * `s3://bucket/prefix` or a local directory -> bucket + prefix, and the keys results and error
 * records get. A result for input key K is `<prefix>K.json`, so the output mirrors the input
 * tree and a listing of the output prefix shows what is done.
 */
import path from 'node:path';
import { invalidParameterError } from '../../core/validate/index.js';

export interface Location {
  readonly kind: 's3' | 'file';
  /** Bucket name, or the absolute directory for 'file'. */
  readonly bucket: string;
  /** Key prefix; always '' for 'file' (the directory is the root). */
  readonly prefix: string;
  readonly uri: string;
}

export function parseLocation(uri: string, name = 'location'): Location {
  if (typeof uri !== 'string' || uri.trim() === '') throw invalidParameterError(name, 's3://bucket/prefix or a directory', uri);
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (m) return { kind: 's3', bucket: m[1]!, prefix: m[2]!, uri };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw invalidParameterError(name, 's3://bucket/prefix or a directory', uri);
  return { kind: 'file', bucket: path.resolve(uri), prefix: '', uri };
}

/** Appends '/' to a non-empty prefix that lacks one ("results" -> "results/"). */
export function asFolder(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

export const resultKey = (prefix: string, inputKey: string): string => `${prefix}${inputKey}.json`;

/** The default errors location: `_errors/` under the output. */
export function defaultErrorsLocation(output: Location): Location {
  return { ...output, prefix: `${asFolder(output.prefix)}_errors/`, uri: `${output.uri.replace(/\/?$/, '/')}_errors/` };
}
