/**
 * @module infra/onnx/ultralytics-metadata
 * Turns Ultralytics' metadata_props (Python reprs of dicts and lists) into typed values.
 * Unparseable or oddly shaped entries are left out rather than thrown: metadata is advisory,
 * and crossCheckManifest reports what is missing when it matters.
 */
import { parsePythonLiteral, type PyValue } from './python-literal.js';
import type { UltralyticsMetadata } from './types.js';

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
