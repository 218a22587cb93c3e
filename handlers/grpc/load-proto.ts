/**
 * @module handlers/grpc/load-proto
 * Loads the service definitions from the .proto files, which ship beside the code: from source
 * they are handlers/grpc/proto/, in the build scripts/build.mjs copies them to dist/proto/
 * beside the bundles (import.meta.url is the bundle there). Tests build their real client from
 * the same files, so the client and the server cannot disagree on a field number.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_DIR = fileURLToPath(new URL('./proto/', import.meta.url));
export const INFERENCE_PROTO = 'grpc_service.proto';
export const HEALTH_PROTO = 'health.proto';

/** int64 as JS numbers (shapes, parameters: far below 2^53), enums as names, proto field names. */
export const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_DIR] };

export interface ServiceDefinitions {
  readonly inference: grpc.ServiceClientConstructor;
  readonly health: grpc.ServiceClientConstructor;
}

export function loadServiceDefinitions(): ServiceDefinitions {
  if (!existsSync(PROTO_DIR + INFERENCE_PROTO)) throw new Error(`gRPC: ${PROTO_DIR}${INFERENCE_PROTO} is missing (scripts/build.mjs copies handlers/grpc/proto/ to dist/proto/)`);
  const defs = grpc.loadPackageDefinition(protoLoader.loadSync([INFERENCE_PROTO, HEALTH_PROTO], LOADER_OPTIONS)) as unknown as {
    inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  return { inference: defs.inference.GRPCInferenceService, health: defs.grpc.health.v1.Health };
}
