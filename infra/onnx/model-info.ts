/**
 * @module infra/onnx/model-info
 * What detectfn learns from an ONNX file without starting a runtime: the graph's real inputs and
 * outputs (`readModelInfo`) and the metadata_props that onnxruntime-node does not expose, read as
 * Ultralytics writes them (`parseUltralyticsMetadata`: class names, imgsz, stride, task, batch,
 * end2end). Model loading checks the manifest against these before any worker starts; the
 * graph rewrite (infra/onnx/graph) finds the input it replaces with them.
 *
 * The file is decoded with protobufjs against a hand-written subset of onnx.proto (the schema at
 * the end, shared with the graph builder): decoding yolov8n.onnx (12 MB) takes about 15 ms,
 * since protobufjs slices raw_data without copying it.
 */
import protobuf from 'protobufjs';
import { DetectError } from '../../core/errors.js';
import type { TensorDType, TensorInfo } from '../../core/types.js';

export interface ModelInfo {
  /** Graph inputs that are not initializers (weights listed as inputs by old exporters are dropped). */
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** ModelProto.metadata_props as a record (Ultralytics writes names, imgsz, stride, task, batch). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Version of the default ("" / ai.onnx) operator set. */
  readonly opset: number;
  /** producer_name, e.g. "pytorch" or "onnx.quantize". */
  readonly producer: string;
}

/** Ultralytics metadata_props, parsed from the Python reprs Ultralytics writes. */
export interface UltralyticsMetadata {
  /** Class names in class-id order. */
  readonly names?: string[];
  /** Training/export image size as [height, width]. */
  readonly imgsz?: [number, number];
  /** Largest stride of the detection head; input sizes must be multiples of it. */
  readonly stride?: number;
  readonly task?: string;
  /** Batch size the model was exported with. */
  readonly batch?: number;
  /** True for NMS-free (end-to-end) heads such as YOLO26 and YOLOv10. */
  readonly end2end?: boolean;
}

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

type Int64 = number | { toNumber(): number };
interface Dim { dimValue?: Int64; dimParam?: string }
interface ValueInfo { name: string; type?: { tensorType?: { elemType?: number; shape?: { dim: Dim[] } } } }
interface Model {
  graph?: { input: ValueInfo[]; output: ValueInfo[]; initializer: { name: string }[] };
  opsetImport: { domain?: string; version?: Int64 }[];
  metadataProps: { key: string; value: string }[];
  producerName?: string;
}

export const toNumber = (v: Int64 | undefined): number => (v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());
const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);


// Ultralytics metadata: metadata_props hold Python reprs of dicts and lists. Unparseable or
// oddly shaped entries are left out rather than thrown: metadata is advisory, and
// crossCheckManifest reports what is missing when it matters.
export function parseUltralyticsMetadata(metadata: Readonly<Record<string, string>>): UltralyticsMetadata {
  const out: { -readonly [K in keyof UltralyticsMetadata]: UltralyticsMetadata[K] } = {};
  const names = parseNames(metadata.names);
  if (names) out.names = names;
  const imgsz = tryParse(metadata.imgsz);
  if (Array.isArray(imgsz) && imgsz.length === 2 && imgsz.every(isPositiveInt)) out.imgsz = [imgsz[0] as number, imgsz[1] as number];
  else if (isPositiveInt(imgsz)) out.imgsz = [imgsz, imgsz];
  const stride = tryParse(metadata.stride);
  if (isPositiveInt(stride)) out.stride = stride;
  const batch = tryParse(metadata.batch);
  if (isPositiveInt(batch)) out.batch = batch;
  if (metadata.task) out.task = metadata.task;
  const end2end = tryParse(metadata.end2end);
  if (typeof end2end === 'boolean') out.end2end = end2end;
  return out;
}

/** names is a dict {0: 'person', ...} (keys must be 0..n-1) or, in old exports, a list. */
function parseNames(text: string | undefined): string[] | undefined {
  const v = tryParse(text);
  if (Array.isArray(v)) return v.every((n) => typeof n === 'string') ? (v as string[]) : undefined;
  if (!(v instanceof Map)) return undefined;
  const names: string[] = [];
  for (let id = 0; id < v.size; id++) {
    const name = v.get(id);
    if (typeof name !== 'string') return undefined;
    names.push(name);
  }
  return names;
}

function tryParse(text: string | undefined): PyValue | undefined {
  if (text === undefined) return undefined;
  try {
    return parsePythonLiteral(text);
  } catch {
    return undefined;
  }
}

const isPositiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

// Python literals as Ultralytics stores them ("{0: 'person'}", "[640, 640]", "True"). A small
// recursive-descent reader instead of regexes, because class names may contain commas, colons
// and quotes (repr switches to double quotes for "men's").
export type PyValue = string | number | boolean | null | PyValue[] | Map<string | number, PyValue>;

/** Throws a plain Error with the offset when `text` is not a dict/list/tuple/str/number/bool/None. */
export function parsePythonLiteral(text: string): PyValue {
  let i = 0;
  const ws = () => { while (i < text.length && /\s/.test(text[i]!)) i++; };
  const fail = (what: string): never => { throw new Error(`expected ${what} at offset ${i} of ${JSON.stringify(text.slice(0, 80))}`); };

  function value(): PyValue {
    ws();
    const c = text[i];
    if (c === '{') return dict();
    if (c === '[' || c === '(') return list(c === '[' ? ']' : ')');
    if (c === "'" || c === '"') return str(c);
    const word = /^(True|False|None|[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)/.exec(text.slice(i));
    if (!word) return fail('a value');
    i += word[0].length;
    return word[0] === 'True' ? true : word[0] === 'False' ? false : word[0] === 'None' ? null : Number(word[0]);
  }
  function items(close: string, item: () => void): void {
    i++;
    for (ws(); text[i] !== close; ws()) {
      item();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] !== close) fail(`',' or '${close}'`);
    }
    i++;
  }
  function dict(): PyValue {
    const out = new Map<string | number, PyValue>();
    items('}', () => {
      const key = value();
      if (typeof key !== 'string' && typeof key !== 'number') fail('a str or int key');
      ws();
      if (text[i++] !== ':') fail("':'");
      out.set(key as string | number, value());
    });
    return out;
  }
  function list(close: string): PyValue {
    const out: PyValue[] = [];
    items(close, () => out.push(value()));
    return out;
  }
  function str(quote: string): string {
    let out = '';
    for (i++; text[i] !== quote; i++) {
      if (i >= text.length) fail(`closing ${quote}`);
      if (text[i] === '\\') {
        const e = text[++i]!;
        const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
        if (hex > 0) {
          out += String.fromCodePoint(parseInt(text.slice(i + 1, i + 1 + hex), 16));
          i += hex;
        } else out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
      } else out += text[i];
    }
    i++;
    return out;
  }

  const result = value();
  ws();
  if (i !== text.length) fail('end of text');
  return result;
}

// The schema: the subset of onnx.proto (onnx/onnx, proto2, package `onnx`) that detectfn reads
// and writes, as a protobufjs JSON descriptor. Field numbers are the wire contract and must match
// onnx.proto exactly; names are camelCase because only the numbers reach the wire. Fields not
// listed here (training_info, functions, sparse tensors) are skipped by the decoder, which is
// what we want: we never need them and skipping costs nothing (the graph rewrite copies them
// byte for byte, infra/onnx/graph).
type Fields = Record<string, { type: string; id: number; rule?: 'repeated'; options?: { packed: boolean } }>;

const rep = (type: string, id: number, packed = false) =>
  ({ type, id, rule: 'repeated' as const, ...(packed ? { options: { packed: true } } : {}) });

const MESSAGES: Record<string, { fields: Fields; oneofs?: Record<string, { oneof: string[] }> }> = {
  ModelProto: {
    fields: {
      irVersion: { type: 'int64', id: 1 },
      opsetImport: rep('OperatorSetIdProto', 8),
      producerName: { type: 'string', id: 2 },
      producerVersion: { type: 'string', id: 3 },
      domain: { type: 'string', id: 4 },
      modelVersion: { type: 'int64', id: 5 },
      docString: { type: 'string', id: 6 },
      graph: { type: 'GraphProto', id: 7 },
      metadataProps: rep('StringStringEntryProto', 14),
    },
  },
  OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
  StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
  GraphProto: {
    fields: {
      node: rep('NodeProto', 1),
      name: { type: 'string', id: 2 },
      initializer: rep('TensorProto', 5),
      docString: { type: 'string', id: 10 },
      input: rep('ValueInfoProto', 11),
      output: rep('ValueInfoProto', 12),
      valueInfo: rep('ValueInfoProto', 13),
    },
  },
  NodeProto: {
    fields: {
      input: rep('string', 1),
      output: rep('string', 2),
      name: { type: 'string', id: 3 },
      opType: { type: 'string', id: 4 },
      domain: { type: 'string', id: 7 },
      attribute: rep('AttributeProto', 5),
      docString: { type: 'string', id: 6 },
    },
  },
  AttributeProto: {
    fields: {
      name: { type: 'string', id: 1 },
      docString: { type: 'string', id: 13 },
      type: { type: 'int32', id: 20 },
      f: { type: 'float', id: 2 },
      i: { type: 'int64', id: 3 },
      s: { type: 'bytes', id: 4 },
      t: { type: 'TensorProto', id: 5 },
      g: { type: 'GraphProto', id: 6 },
      // proto2 repeated scalars are unpacked on the wire unless declared packed.
      floats: rep('float', 7),
      ints: rep('int64', 8),
      strings: rep('bytes', 9),
      tensors: rep('TensorProto', 10),
      graphs: rep('GraphProto', 11),
    },
  },
  TensorProto: {
    fields: {
      dims: rep('int64', 1),
      dataType: { type: 'int32', id: 2 },
      floatData: rep('float', 4, true),
      int32Data: rep('int32', 5, true),
      stringData: rep('bytes', 6),
      int64Data: rep('int64', 7, true),
      name: { type: 'string', id: 8 },
      docString: { type: 'string', id: 12 },
      rawData: { type: 'bytes', id: 9 },
      externalData: rep('StringStringEntryProto', 13),
      dataLocation: { type: 'int32', id: 14 },
      doubleData: rep('double', 10, true),
      uint64Data: rep('uint64', 11, true),
    },
  },
  ValueInfoProto: {
    fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 }, docString: { type: 'string', id: 3 } },
  },
  TypeProto: { fields: { tensorType: { type: 'TypeProtoTensor', id: 1 }, denotation: { type: 'string', id: 6 } } },
  TypeProtoTensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
  TensorShapeProto: { fields: { dim: rep('Dimension', 1) } },
  Dimension: {
    oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
    fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 }, denotation: { type: 'string', id: 3 } },
  },
};

export interface OnnxTypes {
  readonly ModelProto: protobuf.Type;
}

/** Builds the protobufjs types; cheap (well under a millisecond), so callers build their own. */
export function onnxTypes(): OnnxTypes {
  const root = protobuf.Root.fromJSON({ nested: { onnx: { nested: MESSAGES } } });
  return { ModelProto: root.lookupType('onnx.ModelProto') };
}

/** TensorProto.DataType values detectfn maps to its TensorDType (onnx.proto enum DataType). */
export const ONNX_DATA_TYPE = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
} as const;

/** AttributeProto.AttributeType values used by the builder. */
export const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

const DTYPE_BY_CODE = new Map<number, TensorDType>(
  Object.entries(ONNX_DATA_TYPE).map(([name, code]) => [code, name as TensorDType]),
);
