/**
 * @module infra/onnx/graph-builder
 * A small ONNX graph builder: plain objects in, deterministic ModelProto bytes out (the same
 * specs always encode to the same bytes, so generated models can be checksummed).
 * Used by models/demo to generate the demo detector from standard ops.
 */
import { ATTRIBUTE_TYPE, ONNX_DATA_TYPE, onnxTypes } from './schema.js';

/** number = INT, number[] = INTS, string = STRING; floats must be marked, as 1.0 and 1 look alike. */
export type AttrValue = number | number[] | string | { float: number } | { floats: number[] } | TensorSpec;

export interface TensorSpec { readonly name: string; readonly dims: number[]; readonly dataType: number; readonly rawData: Uint8Array }
export interface NodeSpec { readonly opType: string; readonly input: string[]; readonly output: string[]; readonly name: string; readonly attribute: object[] }
export interface ValueInfoSpec { readonly name: string; readonly type: object }

export type InitializerDType = 'float32' | 'int64';

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): NodeSpec {
  const attribute = Object.entries(attrs).map(([name, v]) => ({ name, ...attr(v) }));
  return { opType, input: inputs, output: outputs, name: outputs[0] ?? opType, attribute };
}

function attr(v: AttrValue): object {
  if (typeof v === 'number') return { type: ATTRIBUTE_TYPE.INT, i: v };
  if (typeof v === 'string') return { type: ATTRIBUTE_TYPE.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { type: ATTRIBUTE_TYPE.INTS, ints: v };
  if ('float' in v) return { type: ATTRIBUTE_TYPE.FLOAT, f: v.float };
  if ('floats' in v) return { type: ATTRIBUTE_TYPE.FLOATS, floats: v.floats };
  return { type: ATTRIBUTE_TYPE.TENSOR, t: v };
}

/** A constant tensor; values are written little-endian into raw_data, as onnx.proto requires. */
export function initializer(name: string, dtype: InitializerDType, dims: number[], values: ArrayLike<number>): TensorSpec {
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new RangeError(`initializer ${name}: ${values.length} values for dims [${dims}]`);
  const width = dtype === 'float32' ? 4 : 8;
  const raw = new Uint8Array(count * width);
  const view = new DataView(raw.buffer);
  for (let k = 0; k < count; k++) {
    if (dtype === 'float32') view.setFloat32(k * 4, values[k]!, true);
    else view.setBigInt64(k * 8, BigInt(values[k]!), true);
  }
  return { name, dims, dataType: ONNX_DATA_TYPE[dtype], rawData: raw };
}

/** A graph input/output declaration; a string dimension is dynamic (dim_param). */
export function valueInfo(name: string, dtype: keyof typeof ONNX_DATA_TYPE, shape: (number | string)[]): ValueInfoSpec {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: ONNX_DATA_TYPE[dtype], shape: { dim } } } };
}

export interface ModelSpec {
  readonly name: string;
  readonly nodes: NodeSpec[];
  readonly initializers: TensorSpec[];
  readonly inputs: ValueInfoSpec[];
  readonly outputs: ValueInfoSpec[];
  /** Default-domain opset version. */
  readonly opset: number;
  readonly producer: string;
  readonly docString?: string;
  /** metadata_props, written in key order given. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** IR version 8 goes with opsets 14-18 (onnx/docs/Versioning.md). */
const IR_VERSION = 8;

export function model(spec: ModelSpec): Uint8Array {
  const { ModelProto } = onnxTypes();
  const message = ModelProto.fromObject({
    irVersion: IR_VERSION,
    producerName: spec.producer,
    docString: spec.docString ?? '',
    graph: { name: spec.name, node: spec.nodes, initializer: spec.initializers, input: spec.inputs, output: spec.outputs },
    opsetImport: [{ domain: '', version: spec.opset }],
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return ModelProto.encode(message).finish();
}
