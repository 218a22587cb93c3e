/**
 * @module infra/onnx/schema
 * The subset of onnx.proto (onnx/onnx, proto2, package `onnx`) that detectfn reads and writes,
 * as a protobufjs JSON descriptor. Field numbers are the wire contract and must match
 * onnx.proto exactly; names are camelCase because only the numbers reach the wire. Fields not
 * listed here (training_info, functions, sparse tensors) are skipped by the decoder, which is
 * what we want: we never need them and skipping costs nothing.
 */
import protobuf from 'protobufjs';

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
