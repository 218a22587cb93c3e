/**
 * @module handlers/http/auth
 * Optional bearer-token auth. Keys come from DETECTFN_API_KEYS and/or DETECTFN_API_KEYS_FILE
 * (one per line, `#` comments); with none configured auth is off. Tokens are compared in
 * constant time: both sides are SHA-256 hashed first (equal lengths, so timingSafeEqual
 * applies and the key length does not leak) and every key is checked, with no early exit.
 * Health probes stay open so orchestrators need no secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { MiddlewareHandler } from 'hono';
import { DetectError } from '../../core/errors/index.js';
import type { ServiceConfig } from '../../infra/config/index.js';
import type { AppEnv } from './types.js';

/**
 * Paths that never need a token (liveness, readiness, KServe health, and the web page at `/`:
 * it holds no data, a browser cannot send a bearer token when it opens a URL, and the page's
 * own API calls carry the key; see ui-route.ts).
 */
export const OPEN_PATHS: readonly RegExp[] = [/^\/healthz$/, /^\/readyz$/, /^\/v2\/health\//, /^\/$/];

/**
 * Paths that may carry the token as `?access_token=` (RFC 6750 section 2.3): S3-compatible
 * stores push notifications to a URL and cannot add an Authorization header.
 */
export const QUERY_TOKEN_PATHS: readonly RegExp[] = [/^\/v1\/events\/s3$/];

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

/**
 * The key check HTTP and gRPC share: throws UNAUTHORIZED unless `token` is one of `keys`
 * (constant time, see above). With no keys, auth is off and every token passes.
 */
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

export function bearerAuth(keys: readonly string[]): MiddlewareHandler<AppEnv> {
  const check = createTokenCheck(keys);
  return async function bearerAuth(c, next) {
    if (keys.length === 0 || OPEN_PATHS.some((re) => re.test(c.req.path))) return next();
    const fromHeader = bearerToken(c.req.header('Authorization'));
    const fromQuery = QUERY_TOKEN_PATHS.some((re) => re.test(c.req.path)) ? c.req.query('access_token') : undefined;
    check(fromHeader ?? fromQuery);
    return next();
  };
}
