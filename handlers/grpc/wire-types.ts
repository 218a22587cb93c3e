/**
 * @module handlers/grpc/wire-types
 * The grpc_service.proto messages detectfn reads and writes, as @grpc/proto-loader hands them
 * over with LOADER_OPTIONS (proto field names, int64 as number, oneofs named).
 */

/** InferParameter: one of its oneof members, named by parameter_choice. */
export interface GrpcInferParameter {
  readonly parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  readonly bool_param?: boolean;
  readonly int64_param?: number;
  readonly string_param?: string;
  readonly double_param?: number;
  readonly uint64_param?: number;
}
export type GrpcParameters = Readonly<Record<string, GrpcInferParameter>>;

export interface GrpcTensorContents {
  readonly bool_contents?: readonly boolean[];
  readonly int_contents?: readonly number[];
  readonly int64_contents?: readonly number[];
  readonly uint_contents?: readonly number[];
  readonly uint64_contents?: readonly number[];
  readonly fp32_contents?: readonly number[];
  readonly fp64_contents?: readonly number[];
  readonly bytes_contents?: readonly Uint8Array[];
}

export interface GrpcInferInput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly parameters?: GrpcParameters;
  readonly contents?: GrpcTensorContents | null;
}

export interface GrpcInferRequest {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters?: GrpcParameters;
  readonly inputs: readonly GrpcInferInput[];
  readonly outputs: readonly { readonly name: string; readonly parameters?: GrpcParameters }[];
  readonly raw_input_contents: readonly Uint8Array[];
}

export interface GrpcInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: { name: string; datatype: string; shape: number[] }[];
  raw_output_contents: Buffer[];
}

export interface GrpcModelRef {
  readonly name: string;
  readonly version: string;
}
