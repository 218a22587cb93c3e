/**
 * @module infra/onnx/graph
 * Writing ONNX: building a model from plain objects (`model`, `node`, `initializer`,
 * `valueInfo`), and rewriting a served model so it normalises its own input
 * (`preprocessInGraph`, behind the manifest's `engine.preprocessInGraph`).
 *
 * - The builder is deterministic: the same specs always encode to the same bytes, so generated
 *   models (the demo detector in models/demo, the test classifiers, bench models) can be
 *   checksummed.
 * - The rewrite works at the protobuf wire level (the helpers at the end): it edits a few fields
 *   and copies every other one verbatim, so fields that infra/onnx/model-info's schema does not
 *   list (functions, training_info, sparse initializers, fields of future onnx.proto versions)
 *   survive a rewrite byte for byte.
 */
import protobuf from 'protobufjs';
import { DetectError } from '../../core/errors.js';
import { type NormalizeOptions, planNormalize } from '../../core/normalize.js';
import type { TensorInfo } from '../../core/types.js';
import { ATTRIBUTE_TYPE, ONNX_DATA_TYPE, onnxTypes, readModelInfo } from './model-info.js';

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

/** number = INT, number[] = INTS, string = STRING; floats must be marked, as 1.0 and 1 look alike. */
export type AttrValue = number | number[] | string | { float: number } | { floats: number[] } | TensorSpec;

export interface TensorSpec { readonly name: string; readonly dims: number[]; readonly dataType: number; readonly rawData: Uint8Array }
export interface NodeSpec { readonly opType: string; readonly input: string[]; readonly output: string[]; readonly name: string; readonly attribute: object[] }
export interface ValueInfoSpec { readonly name: string; readonly type: object }

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): NodeSpec {
  const attribute = Object.entries(attrs).map(([name, v]) => ({ name, ...attr(v) }));
  return { opType, input: inputs, output: outputs, name: outputs[0] ?? opType, attribute };
}

export type InitializerDType = 'float32' | 'int64';

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

function attr(v: AttrValue): object {
  if (typeof v === 'number') return { type: ATTRIBUTE_TYPE.INT, i: v };
  if (typeof v === 'string') return { type: ATTRIBUTE_TYPE.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { type: ATTRIBUTE_TYPE.INTS, ints: v };
  if ('float' in v) return { type: ATTRIBUTE_TYPE.FLOAT, f: v.float };
  if ('floats' in v) return { type: ATTRIBUTE_TYPE.FLOATS, floats: v.floats };
  return { type: ATTRIBUTE_TYPE.TENSOR, t: v };
}

// The in-graph preprocessing: the rewritten model takes the service's uint8 HWC pixel batch
// [batch, H, W, 3] as it is and normalises it itself: Gather (channel swap, when the model's
// order differs) -> Transpose to NCHW -> Cast to float -> Sub -> Div -> Cast to float16 for
// float16 models. On a GPU the device then does the work, and a quarter of the bytes cross.
// The new input keeps the original name (feeds do not change); the float tensor it becomes gets
// a new name, and the original input's consumers (subgraphs included) are pointed at it.
// Sub/Div use core/normalize's plan, (x - mean/scale) / (std/scale) in float32: the very two
// operations the WASM kernel does, so the model sees the same values.
/** onnx.proto field numbers this edit touches. */
const F = { modelGraph: 7, graphNode: 1, graphInitializer: 5, graphInput: 11, graphOutput: 12, graphValueInfo: 13, tensorDataLocation: 14, nodeInput: 1, nodeAttribute: 5, attrGraph: 6, attrGraphs: 11, valueName: 1 } as const;
const FIELD = 'engine.preprocessInGraph';
/** Prefix of every name the rewrite adds. */
const P = 'detectfn_preprocess';

/**
 * The model input the rewrite can take: float32 or float16 [batch, 3, H, W]. Throws
 * MODEL_MISMATCH naming the option otherwise (checked at load, before any worker starts).
 */
export function expectInGraphInput(inputs: readonly TensorInfo[], name: string, origin: string): TensorInfo & { dtype: 'float32' | 'float16' } {
  const input = inputs.find((i) => i.name === name);
  const fail = (why: string) => new DetectError('MODEL_MISMATCH', `model ${origin}: ${FIELD}: ${why}`, { details: { field: FIELD } });
  if (!input) throw fail(`the model has no input \`${name}\` (inputs: ${inputs.map((i) => i.name).join(', ')})`);
  const ok = (input.dtype === 'float32' || input.dtype === 'float16') && input.shape.length === 4 && input.shape[1] === 3;
  if (!ok) throw fail(`input \`${name}\` is ${input.dtype} [${input.shape.join(',')}]; the rewrite makes a float32 or float16 [batch,3,H,W] input from uint8 pixels`);
  return input as TensorInfo & { dtype: 'float32' | 'float16' };
}

/** The rewritten model bytes; `model` is not modified. */
export function preprocessInGraph(model: Uint8Array, inputName: string, options: Partial<NormalizeOptions>, origin = 'model'): Uint8Array {
  const info = readModelInfo(model, origin);
  const input = expectInGraphInput(info.inputs, inputName, origin);
  if (info.opset < 7) throw new DetectError('MODEL_MISMATCH', `model ${origin}: ${FIELD}: opset ${info.opset} is older than 7 (broadcasting Sub/Div)`);
  const floatName = `${P}/${inputName}`;
  const { nodes, initializers } = preprocessNodes(inputName, floatName, { ...options, dtype: input.dtype });
  const [batch, , h, w] = input.shape;
  const newInput = valueInfo(inputName, 'uint8', [batch!, h!, w!, 3]);
  const { ModelProto } = onnxTypes();
  const Graph = ModelProto.lookupType('onnx.GraphProto');
  const part = (o: object) => Graph.encode(Graph.fromObject(o)).finish();

  const renameNode = (n: Uint8Array) => renameReferences(n, inputName, floatName);
  const editGraph = (graph: Uint8Array) => {
    const edited = editFields(graph, (f) => {
      if (f.field === F.graphNode) return editNested(f, renameNode);
      // A session made from bytes has no directory to find external weight files in.
      if (f.field === F.graphInitializer && varintField(f.body, F.tensorDataLocation) === 1) {
        throw new DetectError('MODEL_MISMATCH', `model ${origin}: ${FIELD}: weights in external data files are not supported (initializer ${stringField(f.body, 8)})`);
      }
      if (f.field === F.graphInput && nameOf(f) === inputName) return part({ input: [newInput] });
      if ((f.field === F.graphOutput || f.field === F.graphValueInfo) && nameOf(f) === inputName) return renameValue(f, floatName);
      return undefined;
    }) ?? graph;
    // New nodes first (ORT sorts topologically anyway), new initializers last.
    return Buffer.concat([part({ node: nodes }), edited, part({ initializer: initializers })]);
  };
  const out = editFields(model, (f) => (f.field === F.modelGraph ? editNested(f, editGraph) : undefined));
  if (!out) throw new DetectError('MODEL_INVALID', `model ${origin}: no graph to rewrite`);
  return out;
}

function preprocessNodes(from: string, to: string, options: Partial<NormalizeOptions>): { nodes: NodeSpec[]; initializers: TensorSpec[] } {
  const plan = planNormalize(options);
  // plan.channels is per source channel; the graph works per model plane.
  const byPlane = [0, 1, 2].map((p) => plan.channels.findIndex((c) => c.plane === p));
  const nodes: NodeSpec[] = [];
  const initializers: TensorSpec[] = [];
  let at = from;
  const add = (opType: string, extra: string[], attrs: Parameters<typeof node>[3] = {}) => {
    const out = `${P}/${nodes.length}_${opType}`;
    nodes.push(node(opType, [at, ...extra], [out], attrs));
    at = out;
  };
  const constant = (name: string, dtype: 'float32' | 'int64', dims: number[], values: number[]) => {
    initializers.push(initializer(`${P}/${name}`, dtype, dims, values));
    return `${P}/${name}`;
  };
  if (byPlane.some((s, p) => s !== p)) add('Gather', [constant('channels', 'int64', [3], byPlane)], { axis: 3 });
  add('Transpose', [], { perm: [0, 3, 1, 2] });
  add('Cast', [], { to: ONNX_DATA_TYPE.float32 });
  const sub = byPlane.map((s) => plan.channels[s]!.sub);
  const div = byPlane.map((s) => plan.channels[s]!.div);
  if (sub.some((v) => v !== 0)) add('Sub', [constant('sub', 'float32', [3, 1, 1], sub)]);
  if (div.some((v) => v !== 1)) add('Div', [constant('div', 'float32', [3, 1, 1], div)]);
  if (plan.dtype === 'float16') add('Cast', [], { to: ONNX_DATA_TYPE.float16 });
  // The last node writes the name the original input's consumers now read.
  const last = nodes.pop()!;
  nodes.push({ ...last, output: [to], name: to });
  return { nodes, initializers };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const nameOf = (f: WireField) => stringField(f.body, F.valueName);

function renameValue(f: WireField, to: string): Uint8Array | undefined {
  return editNested(f, (v) => editFields(v, (x) => (x.field === F.valueName ? lengthDelimited(F.valueName, new TextEncoder().encode(to)) : undefined)));
}

/** A NodeProto with its inputs named `from` (also in subgraph attributes, If/Loop bodies) renamed; undefined if none. */
function renameReferences(nodeBytes: Uint8Array, from: string, to: string): Uint8Array | undefined {
  const inGraph = (g: Uint8Array) => editFields(g, (n) => (n.field === F.graphNode ? editNested(n, (b) => renameReferences(b, from, to)) : undefined));
  const inAttribute = (a: Uint8Array) => editFields(a, (x) => (x.field === F.attrGraph || x.field === F.attrGraphs ? editNested(x, inGraph) : undefined));
  return editFields(nodeBytes, (f) => {
    if (f.field === F.nodeInput) return text(f.body) === from ? lengthDelimited(F.nodeInput, new TextEncoder().encode(to)) : undefined;
    if (f.field === F.nodeAttribute) return editNested(f, inAttribute);
    return undefined;
  });
}

// The protobuf wire level: a message as its list of fields, each kept as its exact bytes.
export const LENGTH_DELIMITED = 2;

export interface WireField {
  readonly field: number;
  readonly wireType: number;
  /** The whole entry: tag, length and payload, as in the input. */
  readonly raw: Uint8Array;
  /** The payload of a length-delimited field (a view, no copy); empty for other wire types. */
  readonly body: Uint8Array;
}

/** The top-level fields of one encoded message, in wire order. */
export function wireFields(bytes: Uint8Array): WireField[] {
  const r = protobuf.Reader.create(bytes);
  const out: WireField[] = [];
  while (r.pos < r.len) {
    const start = r.pos;
    const tag = r.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    let body = bytes.subarray(0, 0);
    if (wireType === LENGTH_DELIMITED) {
      const len = r.uint32();
      body = bytes.subarray(r.pos, r.pos + len);
      r.skip(len);
    } else {
      r.skipType(wireType);
    }
    out.push({ field, wireType, raw: bytes.subarray(start, r.pos), body });
  }
  return out;
}

/** One length-delimited entry: tag, length, payload. */
export function lengthDelimited(field: number, body: Uint8Array): Uint8Array {
  return protobuf.Writer.create().uint32(((field << 3) | LENGTH_DELIMITED) >>> 0).bytes(body).finish();
}

/** The first varint value of `field` in a message, or undefined. */
export function varintField(message: Uint8Array, field: number): number | undefined {
  const f = wireFields(message).find((x) => x.field === field && x.wireType === 0);
  if (!f) return undefined;
  const r = protobuf.Reader.create(f.raw);
  r.uint32(); // the tag
  return r.uint32();
}

/** The first string value of `field` in a message, or undefined. */
export function stringField(message: Uint8Array, field: number): string | undefined {
  const f = wireFields(message).find((x) => x.field === field && x.wireType === LENGTH_DELIMITED);
  return f ? new TextDecoder().decode(f.body) : undefined;
}

/**
 * `bytes` with some length-delimited entries replaced: `edit` returns a whole new entry (see
 * lengthDelimited) or undefined to keep the field as it is. Undefined when nothing changed.
 */
export function editFields(bytes: Uint8Array, edit: (f: WireField) => Uint8Array | undefined): Uint8Array | undefined {
  let changed = false;
  const parts = wireFields(bytes).map((f) => {
    const replaced = f.wireType === LENGTH_DELIMITED ? edit(f) : undefined;
    if (replaced) changed = true;
    return replaced ?? f.raw;
  });
  return changed ? Buffer.concat(parts) : undefined;
}

/** An edit of a nested message field: its payload edited by `inner`, re-wrapped under the same field number. */
export function editNested(f: WireField, inner: (body: Uint8Array) => Uint8Array | undefined): Uint8Array | undefined {
  const body = inner(f.body);
  return body && lengthDelimited(f.field, body);
}
