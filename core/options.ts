/**
 * @module core/options
 * The request options of both tasks, their defaults, and the one parser every surface sends its
 * input through: HTTP query strings and body fields, KServe/Triton `parameters` (REST and gRPC),
 * CLI flags. A surface calls it once where the request enters and hands the typed result on;
 * nothing behind it parses or checks options again.
 *
 * One table of names for every surface: the wire names are snake_case (`max_det`, as Ultralytics
 * and Triton clients write them) and the camelCase field names are accepted too. Query strings
 * carry text, so numbers may come as numeric strings, class lists as "0,2,5", and booleans as
 * true/false, 1/0 or an empty value (`?agnostic` or `?render=` alone means true, as a flag).
 * Errors name the parameter as the client wrote it: "Expected number between 0 and 1 for conf but
 * received 1.5 of type number".
 */
import { expectInteger, expectNumber, invalidParameterError } from './errors.js';

export interface DetectOptions {
  /** Minimum confidence a detection must reach, 0..1. @default 0.25 */
  readonly conf: number;
  /** IoU above which NMS suppresses the lower-scored box, 0..1. @default 0.7 */
  readonly iou: number;
  /** Most detections returned per image, 1..10000. @default 300 */
  readonly maxDet: number;
  /** Keep only these class ids; absent keeps every class. @default undefined */
  readonly classes?: readonly number[];
  /** Class-agnostic NMS: boxes of different classes suppress each other too. @default false */
  readonly agnostic: boolean;
  /** Most candidates (highest scores first) that enter NMS, >= 1. @default 30000 */
  readonly maxNms: number;
}

/** Ultralytics' `predict` defaults: a request with no options gives the detections `yolo predict` gives. */
export const DEFAULT_DETECT_OPTIONS: DetectOptions = Object.freeze({
  conf: 0.25,
  iou: 0.7,
  maxDet: 300,
  agnostic: false,
  maxNms: 30000,
});

export interface ClassifyOptions {
  /** How many classes to answer, best first, 1..1000. @default 5 */
  readonly topK: number;
}

/** 5, as torchvision's and Triton's examples print. */
export const DEFAULT_CLASSIFY_OPTIONS: ClassifyOptions = Object.freeze({ topK: 5 });
export const MAX_TOP_K = 1000;
export const MAX_DET_LIMIT = 10000;

/** Wire name -> DetectOptions field, for every surface. */
export const DETECT_PARAMETERS: Readonly<Record<string, keyof DetectOptions>> = Object.freeze({
  conf: 'conf',
  iou: 'iou',
  max_det: 'maxDet',
  maxDet: 'maxDet',
  max_nms: 'maxNms',
  maxNms: 'maxNms',
  classes: 'classes',
  agnostic: 'agnostic',
});

/** Wire name -> ClassifyOptions field, for every surface. */
export const CLASSIFY_PARAMETERS: Readonly<Record<string, keyof ClassifyOptions>> = Object.freeze({ top_k: 'topK', topK: 'topK' });

export interface ParsedParameters<O> {
  readonly options: O;
  /**
   * The fields that are not options of the task, as given: what the surface reads itself
   * (`format`, `render`, protocol keys) and decides to refuse or ignore.
   */
  readonly rest: Readonly<Record<string, unknown>>;
}

/** The one boolean reading: true, 1, "true", "1" and "" (a bare flag) are true; false, 0, "false", "0" false. */
export function parseBoolean(name: string, v: unknown): boolean {
  if (v === true || v === 1 || v === 'true' || v === '1' || v === '') return true;
  if (v === false || v === 0 || v === 'false' || v === '0') return false;
  throw invalidParameterError(name, 'boolean (true, false, 1, 0)', v);
}

/** A numeric string as its number; anything else as given (so the check names the original value). */
function toNumber(v: unknown): unknown {
  // Number('') is 0: an empty value must stay an error, not become conf=0.
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isNaN(n) ? v : n;
  }
  return v;
}

function toClasses(name: string, v: unknown): readonly number[] {
  const items = typeof v === 'string' ? (v.trim() === '' ? [] : v.split(',')) : v;
  if (!Array.isArray(items)) throw invalidParameterError(name, 'array of class ids or "0,2,5"', v);
  return Object.freeze(
    items.map((item) => {
      const n = toNumber(typeof item === 'string' ? item.trim() : item);
      if (!Number.isInteger(n) || (n as number) < 0) throw invalidParameterError(name, 'non-negative integer class ids', item);
      return n as number;
    }),
  );
}

/** Splits `fields` into the task's options (by wire name, own keys only) and the rest. */
function split<O>(fields: Readonly<Record<string, unknown>>, table: Readonly<Record<string, keyof O>>) {
  const given = new Map<keyof O, { name: string; value: unknown }>();
  // No prototype: a field named `__proto__` stays a field (and is refused by name) instead of replacing it.
  const rest: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(fields)) {
    // Own keys only: `__proto__` or `constructor` must not find Object.prototype's members.
    const field = Object.hasOwn(table, name) ? table[name] : undefined;
    if (field === undefined) rest[name] = value;
    // Absent means absent whichever way a surface spells it (a JSON null, an unset flag).
    else if (value !== undefined && value !== null) given.set(field, { name, value });
  }
  return { given, rest };
}

export interface ParseOptions {
  /** How the surface spells a wire name in its errors (the CLI says `--max-det`). @default the wire name as given */
  readonly label?: (wireName: string) => string;
}

/** Detect options from `fields` over `base` (the model's defaults); fields absent keep the base value. */
export function parseDetectParams(
  fields: Readonly<Record<string, unknown>>,
  base: DetectOptions,
  { label = (n) => n }: ParseOptions = {},
): ParsedParameters<DetectOptions> {
  const { given, rest } = split<DetectOptions>(fields, DETECT_PARAMETERS);
  const read = <T>(field: keyof DetectOptions, check: (name: string, v: unknown) => T, fallback: T): T => {
    const g = given.get(field);
    return g ? check(label(g.name), g.value) : fallback;
  };
  const classes = read('classes', toClasses, base.classes);
  const options: DetectOptions = Object.freeze({
    conf: read('conf', (n, v) => expectNumber(n, toNumber(v), 0, 1), base.conf),
    iou: read('iou', (n, v) => expectNumber(n, toNumber(v), 0, 1), base.iou),
    maxDet: read('maxDet', (n, v) => expectInteger(n, toNumber(v), 1, MAX_DET_LIMIT), base.maxDet),
    agnostic: read('agnostic', parseBoolean, base.agnostic),
    maxNms: read('maxNms', (n, v) => expectInteger(n, toNumber(v), 1), base.maxNms),
    ...(classes !== undefined ? { classes } : {}),
  });
  return { options, rest };
}

/** Classify options from `fields` over `base`. */
export function parseClassifyParams(
  fields: Readonly<Record<string, unknown>>,
  base: ClassifyOptions = DEFAULT_CLASSIFY_OPTIONS,
  { label = (n) => n }: ParseOptions = {},
): ParsedParameters<ClassifyOptions> {
  const { given, rest } = split<ClassifyOptions>(fields, CLASSIFY_PARAMETERS);
  const topK = given.get('topK');
  const options: ClassifyOptions = Object.freeze({ topK: topK ? expectInteger(label(topK.name), toNumber(topK.value), 1, MAX_TOP_K) : base.topK });
  return { options, rest };
}

/**
 * For surfaces that take nothing but options and a few names of their own: any other name is a
 * typo or the other task's option, refused naming what is accepted (`maxdet=5` is a 400, not a
 * silent default).
 */
export function refuseUnknownParams(rest: Readonly<Record<string, unknown>>, accepted: readonly string[]): void {
  const unknown = Object.keys(rest).find((name) => !accepted.includes(name));
  if (unknown !== undefined) throw invalidParameterError('parameter name', `one of ${accepted.join(', ')}`, unknown);
}
