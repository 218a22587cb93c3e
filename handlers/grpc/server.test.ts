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

describe('GRPC_STATUS', () => {
  it('has a gRPC status for every error code, matching the HTTP class', () => {
    expect(Object.keys(GRPC_STATUS).sort()).toEqual(Object.keys(ERROR_STATUS).sort());
    const httpToGrpc: Record<number, number[]> = { 400: [3], 401: [16], 403: [7], 404: [5], 413: [8], 415: [3], 503: [14], 499: [1], 408: [4], 504: [4], 500: [13], 502: [14] };
    for (const [code, http] of Object.entries(ERROR_STATUS)) expect(httpToGrpc[http], code).toContain(GRPC_STATUS[code as keyof typeof GRPC_STATUS]);
  });
});
