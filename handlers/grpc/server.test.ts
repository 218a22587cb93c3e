/**
 * @module handlers/grpc/server.test
 *
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, GRPC_STATUS } from '../../core/errors.js';
import { loadConfig } from '../../infra/config.js';
import { DEFAULT_GRPC_PORT, grpcPortFor } from './server.js';

describe('gRPC port', () => {
  it('DETECTFN_GRPC_PORT wins; unset is 8081, or any free port when PORT is 0; 0 turns the listener off', () => {
    expect(grpcPortFor(loadConfig({}))).toBe(DEFAULT_GRPC_PORT);
    expect(DEFAULT_GRPC_PORT).toBe(8081);
    expect(grpcPortFor(loadConfig({ PORT: '0' }))).toBe(0);
    expect(grpcPortFor(loadConfig({ DETECTFN_GRPC_PORT: '9001' }))).toBe(9001);
    expect(grpcPortFor(loadConfig({ PORT: '0', DETECTFN_GRPC_PORT: '9001' }))).toBe(9001);
    expect(grpcPortFor(loadConfig({ DETECTFN_GRPC_PORT: '0' }))).toBeUndefined();
  });

  it('a bad DETECTFN_GRPC_PORT stops start-up naming the variable', () => {
    expect(() => loadConfig({ DETECTFN_GRPC_PORT: '70000' })).toThrow(/DETECTFN_GRPC_PORT/);
    expect(() => loadConfig({ DETECTFN_GRPC_PORT: 'grpc' })).toThrow(/DETECTFN_GRPC_PORT/);
  });
});

describe('what the gRPC listener loads', () => {
  it('never reaches handlers/http or Hono: the KServe code it shares is protocol-neutral', () => {
    const root = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      // Module imports only: `import type` is erased at build time and loads nothing.
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^import (?!type )[^;]*? from '([^']+)';/gms)) {
        if (spec!.startsWith('.')) visit(path.resolve(path.dirname(file), spec!.replace(/\.js$/, '.ts')));
        else packages.add(spec!.split('/')[0]!);
      }
    };
    visit(path.join(root, 'handlers/grpc/server.ts'));
    const files = [...seen].map((f) => path.relative(root, f));
    expect(files).toContain('handlers/kserve/codec.ts');
    expect(files.filter((f) => f.startsWith('handlers/http/'))).toEqual([]);
    expect([...packages].filter((p) => p === 'hono' || p.startsWith('@hono'))).toEqual([]);
  });
});

describe('GRPC_STATUS', () => {
  it('has a gRPC status for every error code, matching the HTTP class', () => {
    expect(Object.keys(GRPC_STATUS).sort()).toEqual(Object.keys(ERROR_STATUS).sort());
    const httpToGrpc: Record<number, number[]> = { 400: [3], 401: [16], 403: [7], 404: [5], 413: [8], 415: [3], 503: [14], 499: [1], 408: [4], 504: [4], 500: [13], 502: [14] };
    for (const [code, http] of Object.entries(ERROR_STATUS)) expect(httpToGrpc[http], code).toContain(GRPC_STATUS[code as keyof typeof GRPC_STATUS]);
  });
});
