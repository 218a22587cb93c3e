/**
 * @module infra/onnx/read-model-info
 * Reads a model's interface (inputs, outputs, opset, metadata_props) from ONNX bytes with
 * protobufjs. Decoding yolov8n.onnx (12 MB) takes about 15 ms: protobufjs slices raw_data
 * without copying it.
 */
import { DetectError } from '../../core/errors/index.js';
import type { TensorDType, TensorInfo } from '../../core/ports/index.js';
import { ONNX_DATA_TYPE, onnxTypes } from './schema.js';
import type { ModelInfo } from './types.js';

type Int64 = number | { toNumber(): number };
interface Dim { dimValue?: Int64; dimParam?: string }
interface ValueInfo { name: string; type?: { tensorType?: { elemType?: number; shape?: { dim: Dim[] } } } }
interface Model {
  graph?: { input: ValueInfo[]; output: ValueInfo[]; initializer: { name: string }[] };
  opsetImport: { domain?: string; version?: Int64 }[];
  metadataProps: { key: string; value: string }[];
  producerName?: string;
}

const DTYPE_BY_CODE = new Map<number, TensorDType>(
  Object.entries(ONNX_DATA_TYPE).map(([name, code]) => [code, name as TensorDType]),
);

export const toNumber = (v: Int64 | undefined): number => (v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());
const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** `origin` names the file in error messages (a path or URI). */
export function readModelInfo(bytes: Uint8Array, origin = 'model'): ModelInfo {
  let model: Model;
  try {
    model = onnxTypes().ModelProto.decode(bytes) as unknown as Model;
  } catch (err) {
    throw invalid(origin, `not a readable ONNX file (${(err as Error).message})`, err);
  }
  const graph = model.graph;
  if (!graph || graph.output.length === 0) throw invalid(origin, 'not an ONNX model: no graph outputs');
  const weights = new Set(graph.initializer.map((t) => t.name));
  const defaultOpset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return {
    inputs: graph.input.filter((v) => !weights.has(v.name)).map((v) => tensorInfo(v, origin)),
    outputs: graph.output.map((v) => tensorInfo(v, origin)),
    metadata: Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value])),
    opset: toNumber(defaultOpset?.version),
    producer: model.producerName ?? '',
  };
}

function tensorInfo(v: ValueInfo, origin: string): TensorInfo {
  const tensor = v.type?.tensorType;
  if (!tensor) throw invalid(origin, `graph value \`${v.name}\` is not a tensor`);
  const dtype = DTYPE_BY_CODE.get(tensor.elemType ?? 0);
  if (!dtype) throw invalid(origin, `tensor \`${v.name}\` has unsupported element type ${tensor.elemType}`);
  // A dimension with neither a value nor a name is unknown; '?' keeps it dynamic.
  const shape = (tensor.shape?.dim ?? []).map((d) =>
    has(d, 'dimValue') ? toNumber(d.dimValue) : has(d, 'dimParam') && d.dimParam ? d.dimParam : '?',
  );
  return { name: v.name, dtype, shape };
}

function invalid(origin: string, why: string, cause?: unknown): DetectError {
  return new DetectError('MODEL_INVALID', `model ${origin}: ${why}`, cause === undefined ? {} : { cause });
}
