/**
 * @module infra/onnx/wire
 * Protobuf at the wire level: a message as its list of fields, each kept as its exact bytes.
 * The graph rewrite (preprocess-graph.ts) edits a few fields and copies every other one
 * verbatim, so fields that infra/onnx/schema.ts does not list (functions, training_info,
 * sparse initializers, fields of future onnx.proto versions) survive a rewrite byte for byte.
 */
import protobuf from 'protobufjs';

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
