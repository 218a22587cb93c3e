/**
 * @module infra/onnx/preprocess-graph
 * `engine.preprocessInGraph`: rewrites an ONNX model so that it takes the service's uint8 HWC
 * pixel batch [batch, H, W, 3] as it is and normalises it itself: Gather (channel swap, when the
 * model's order differs) -> Transpose to NCHW -> Cast to float -> Sub -> Div -> Cast to float16
 * for float16 models. On a GPU the device then does the work, and a quarter of the bytes cross.
 * The new input keeps the original name (feeds do not change); the float tensor it becomes gets
 * a new name, and the original input's consumers (subgraphs included) are pointed at it.
 * Sub/Div use core/normalize's plan, (x - mean/scale) / (std/scale) in float32: the very two
 * operations the WASM kernel does, so the model sees the same values (see plan.ts).
 * Wire-level edit (wire.ts): every byte not changed here is copied verbatim.
 */
import { DetectError } from '../../core/errors/index.js';
import { planNormalize, type NormalizeOptions } from '../../core/normalize/index.js';
import type { TensorInfo } from '../../core/ports/index.js';
import { initializer, node, valueInfo, type NodeSpec, type TensorSpec } from './graph-builder.js';
import { readModelInfo } from './read-model-info.js';
import { ONNX_DATA_TYPE, onnxTypes } from './schema.js';
import { editFields, editNested, lengthDelimited, stringField, varintField, type WireField } from './wire.js';

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
