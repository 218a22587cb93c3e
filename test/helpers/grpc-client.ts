/**
 * A real @grpc/grpc-js client for the KServe v2 gRPC listener, built from the same .proto files
 * the server loads (handlers/grpc/proto), with promise-returning unary calls. For tests and the
 * bench. `unary` resolves with the response and the trailers, or rejects with the ServiceError.
 */
import type * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { encodeBytesElements } from '../../handlers/kserve/codec.js';
import { loadServiceDefinitions } from '../../handlers/grpc/server.js';

export interface GrpcClients {
  readonly inference: grpc.Client;
  readonly health: grpc.Client;
  close(): void;
}

export function grpcClients(port: number): GrpcClients {
  const defs = loadServiceDefinitions();
  const address = `127.0.0.1:${port}`;
  const inference = new defs.inference(address, grpc.credentials.createInsecure());
  const health = new defs.health(address, grpc.credentials.createInsecure());
  return { inference, health, close: () => (inference.close(), health.close()) };
}

export interface CallOptions {
  readonly key?: string;
  readonly requestId?: string;
  /** Milliseconds from now (sent as grpc-timeout). */
  readonly timeoutMs?: number;
}

export type GrpcError = grpc.ServiceError;

export function metadataFor(o: CallOptions): grpc.Metadata {
  const md = new grpc.Metadata();
  if (o.key !== undefined) md.set('authorization', `Bearer ${o.key}`);
  if (o.requestId !== undefined) md.set('x-request-id', o.requestId);
  return md;
}

type Unary = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => grpc.ClientUnaryCall;

/** Starts a unary call; `call` can cancel it, `result` settles with its outcome. */
export function startUnary<T = Record<string, unknown>>(client: grpc.Client, method: string, req: unknown, o: CallOptions = {}) {
  let trailers: grpc.Metadata | undefined;
  let call!: grpc.ClientUnaryCall;
  const result = new Promise<{ res: T; trailers: grpc.Metadata | undefined }>((resolve, reject) => {
    const opts = o.timeoutMs !== undefined ? { deadline: new Date(Date.now() + o.timeoutMs) } : {};
    call = ((client as unknown as Record<string, Unary>)[method]!).call(client, req, metadataFor(o), opts, (err, res) => (err ? reject(err) : resolve({ res: res as T, trailers })));
    call.on('status', (s: grpc.StatusObject) => (trailers = s.metadata));
  });
  return { call, result };
}

export const unary = <T = Record<string, unknown>>(client: grpc.Client, method: string, req: unknown, o: CallOptions = {}) => startUnary<T>(client, method, req, o).result;

/** The error a call rejected with (fails the test if it succeeded). */
export async function grpcError(p: Promise<unknown>): Promise<GrpcError> {
  try {
    await p;
  } catch (err) {
    return err as GrpcError;
  }
  throw new Error('expected the call to fail');
}

/** A ModelInfer request with encoded images as one BYTES input in raw_input_contents. */
export function bytesInferRequest(model: string, images: readonly Uint8Array[], parameters: Record<string, unknown> = {}) {
  return {
    model_name: model,
    parameters,
    inputs: [{ name: 'image', datatype: 'BYTES', shape: [images.length] }],
    raw_input_contents: [Buffer.from(encodeBytesElements(images))],
  };
}

export interface RawOutput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
  readonly values: Float32Array | Int32Array;
}

/** A ModelInferResponse's outputs with their raw_output_contents decoded (FP32 / INT32). */
export function rawOutputs(res: { outputs: { name: string; datatype: string; shape: number[] }[]; raw_output_contents: Buffer[] }): Map<string, RawOutput> {
  return new Map(
    res.outputs.map((o, i) => {
      const b = new Uint8Array(res.raw_output_contents[i]!).buffer; // a copy at offset 0: aligned
      const values = o.datatype === 'FP32' ? new Float32Array(b) : new Int32Array(b);
      return [o.name, { ...o, values }];
    }),
  );
}

export interface RawCall {
  readonly stream: http2.ClientHttp2Stream;
  /** The response's trailers (grpc-status, grpc-message, ours), or rejects when the stream ends without them. */
  readonly trailers: Promise<http2.IncomingHttpHeaders>;
}

/**
 * A unary call on a plain node:http2 session, framed by hand (5-byte gRPC prefix, the message
 * serialized by the same service definitions): for tests that must see the connection itself
 * (GOAWAY, PING frames), which a grpc-js client hides behind its channel.
 */
export function rawUnary(session: http2.ClientHttp2Session, method: string, message: unknown): RawCall {
  const def = (loadServiceDefinitions().inference.service as grpc.ServiceDefinition)[method]!;
  const body = def.requestSerialize(message);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.byteLength, 1);
  const stream = session.request({ ':method': 'POST', ':path': def.path, 'content-type': 'application/grpc', te: 'trailers' });
  const trailers = new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
    stream.on('trailers', resolve);
    stream.on('close', () => reject(new Error(`stream closed without trailers (rst code ${stream.rstCode})`)));
    stream.on('error', () => undefined); // the 'close' above reports it
  });
  stream.resume();
  stream.end(Buffer.concat([prefix, body]));
  return { stream, trailers };
}
