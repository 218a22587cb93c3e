/**
 * @module handlers/request
 * What every request gets at the edge, whichever surface it arrives on (HTTP and KServe REST
 * through Hono, KServe gRPC through grpc-js): an id to find it by in the logs, the bearer-key
 * check, the log line of its error, and the reading of a base64 image field in a JSON body. (Its
 * RequestContext, the deadline and cancel signal that travel with it to the batcher, is built
 * by the helpers beside that type in infra/model/registry.ts.)
 *
 * These are rules, not transport code: which caller ids are kept, how keys are compared, which
 * failures are logged as faults. Both surfaces take them from here, so they cannot drift apart,
 * and the gRPC path never loads the Hono app (handlers/http/app.ts wraps them as middleware;
 * handlers/grpc/inference.ts calls them per call).
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DetectError, invalidParameterError, isDetectError } from '../core/errors.js';
import type { Logger, ServiceConfig } from '../infra/config.js';

// ---------------------------------------------------------------------------------------------
// Request id. A caller's id (`X-Request-Id` header, `x-request-id` gRPC metadata) is kept when
// it is sane, 1..128 of [A-Za-z0-9_=-], so it cannot forge log fields or bloat headers; anything
// else is replaced by a fresh UUID. Over HTTP hono/request-id applies this rule with
// MAX_REQUEST_ID_LENGTH (request.test.ts checks the two agree).
// ---------------------------------------------------------------------------------------------
export const MAX_REQUEST_ID_LENGTH = 128;

export function requestIdFrom(given: string | undefined): string {
  return given && given.length <= MAX_REQUEST_ID_LENGTH && !/[^\w\-=]/.test(given) ? given : randomUUID();
}

// ---------------------------------------------------------------------------------------------
// Bearer keys. They come from DETECTFN_API_KEYS and/or DETECTFN_API_KEYS_FILE (one per line, `#`
// comments); with none configured auth is off. Tokens are compared in constant time: both sides
// are SHA-256 hashed first (equal lengths, so timingSafeEqual applies and the key length does not
// leak) and every key is checked, with no early exit.
// ---------------------------------------------------------------------------------------------
export function loadApiKeys(config: Pick<ServiceConfig, 'DETECTFN_API_KEYS' | 'DETECTFN_API_KEYS_FILE'>): string[] {
  const keys = [...config.DETECTFN_API_KEYS];
  if (config.DETECTFN_API_KEYS_FILE) {
    let text: string;
    try {
      text = readFileSync(config.DETECTFN_API_KEYS_FILE, 'utf8');
    } catch (err) {
      throw new DetectError('CONFIG_INVALID', `DETECTFN_API_KEYS_FILE: cannot read ${config.DETECTFN_API_KEYS_FILE}`, { cause: err });
    }
    for (const line of text.split(/\r?\n/)) {
      const key = line.trim();
      if (key !== '' && !key.startsWith('#')) keys.push(key);
    }
  }
  return keys;
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The token of an `Authorization: Bearer <key>` value (HTTP header or gRPC `authorization` metadata). */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

/** Throws UNAUTHORIZED unless `token` is one of `keys`. With no keys, auth is off and every token passes. */
export function createTokenCheck(keys: readonly string[]): (token: string | undefined) => void {
  const digests = keys.map(sha256);
  return (token) => {
    if (digests.length === 0) return;
    if (!token) throw new DetectError('UNAUTHORIZED', 'missing bearer token (Authorization: Bearer <key>)');
    const given = sha256(token);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(given, d) || ok;
    if (!ok) throw new DetectError('UNAUTHORIZED', 'invalid bearer token');
  };
}

// ---------------------------------------------------------------------------------------------
// Error log line. Every error answer is logged once, with the request id: info when the client
// went away first (whatever the handler then saw is not a fault), error with the stack for
// anything that is not a DetectError (a bug), error for a 5xx, and warn for 4xx and for the 503s
// that overload and start-up produce on purpose (hundreds of stack traces in an overload would
// bury real faults).
// ---------------------------------------------------------------------------------------------
/** 5xx codes that are expected behaviour (shedding load, still warming), not faults. */
export const EXPECTED_5XX: ReadonlySet<string> = new Set(['QUEUE_FULL', 'NOT_READY']);

/** `err` is what the caller is told; `raw` what the handler threw; `gone`: the client left first. */
export function logRequestError(logger: Logger, line: Record<string, unknown>, raw: unknown, err: DetectError, gone: boolean): void {
  if (gone) logger.info({ ...line, seen: raw instanceof Error ? raw.message : String(raw) }, err.message);
  else if (!isDetectError(raw) && err.code === 'INTERNAL') logger.error({ ...line, err: raw }, 'unhandled error');
  else if (err.status >= 500 && !EXPECTED_5XX.has(err.code)) logger.error({ ...line, err }, err.message);
  else logger.warn({ ...line, details: err.details }, err.message);
}

// ---------------------------------------------------------------------------------------------
// Base64 images in JSON bodies (HTTP detect's `image`/`images`, KServe BYTES `data`).
// Buffer.from(s, 'base64') silently skips junk, so the text is checked first: a truncated or
// mangled upload is a 400 naming the field, not a confusing "unsupported image format" later.
// `data:<type>;base64,` prefixes are stripped.
// ---------------------------------------------------------------------------------------------
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
