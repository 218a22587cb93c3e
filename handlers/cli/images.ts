/**
 * @module handlers/cli/images
 * `detectfn detect`, `classify` and `eval`: a model over image files, answers as JSON (or mAP),
 * and the pieces the other one-shot commands share with them (`openModel`, `collectImages`,
 * `createProgress`; inspect and batch use them too).
 *
 * - Images are read and run with a bounded number in flight (`IN_FLIGHT`): enough to fill the
 *   micro-batcher, few enough that a large folder is not read into memory at once. Results
 *   come back in input order.
 * - A command that serves one task names it, and a model of the other task is refused
 *   (WRONG_TASK) naming the command that serves it.
 * - stdout carries the command's output only: logs and progress go to stderr.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { evaluateMap, type MapResult, parseYoloLabels } from '../../core/map.js';
import { type ClassifyOptions, DEFAULT_DETECT_OPTIONS, type DetectOptions } from '../../core/options.js';
import { loadConfig } from '../../infra/config.js';
import { createModelRegistry, type ModelRegistry, type ModelService, type Task, wrongTaskError } from '../../infra/model/registry.js';
import type { ClassifyResult } from '../../infra/model/classify.js';
import type { DetectResult } from '../../infra/model/detect.js';
import { registryOptions, resolveModelPaths } from '../serve.js';
import { classifyOptionFlags, cliLogger, detectOptionFlags, parseCommand, requiredFlag, stringFlag, UsageError } from './cli.js';

// `detectfn detect --model M [--conf --iou --max-det] IMAGES_OR_DIRS... [--out F.json]`:
// detections for every image as JSON, to --out or stdout. A classifier is refused (WRONG_TASK)
// naming `detectfn classify`.
export const DETECT_FLAGS = {
  model: { type: 'string', short: 'm' },
  conf: { type: 'string' },
  iou: { type: 'string' },
  'max-det': { type: 'string' },
  out: { type: 'string', short: 'o' },
} as const;

const detections = (r: DetectResult) => ({ detections: r.detections.map((d) => ({ box: d.box, score: d.score, classId: d.classId, label: d.label })) });

export async function detectCommand(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, DETECT_FLAGS);
  const modelPath = requiredFlag(values, 'model');
  // Flags over Ultralytics' predict defaults, as `yolo predict` takes them (checked before the model loads).
  const options = detectOptionFlags(values, DEFAULT_DETECT_OPTIONS);
  await runImageCommand({
    task: 'detect', modelPath, inputs: positionals, out: stringFlag(values, 'out'),
    run: (model, files, onDone) => detectFiles(model, files, options, onDone),
    answer: detections,
  });
}

// `detectfn classify --model M [--top-k K] IMAGES_OR_DIRS... [--out F.json]`: a classifier's
// top-k classes (best first) for every image as JSON, to --out or stdout, in detect's shape
// with `classes` for `detections`. A detector is refused (WRONG_TASK) naming `detectfn detect`.
export const CLASSIFY_FLAGS = {
  model: { type: 'string', short: 'm' },
  'top-k': { type: 'string', short: 'k' },
  out: { type: 'string', short: 'o' },
} as const;

export async function classifyCommand(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, CLASSIFY_FLAGS);
  const modelPath = requiredFlag(values, 'model');
  const options = classifyOptionFlags(values);
  await runImageCommand({
    task: 'classify', modelPath, inputs: positionals, out: stringFlag(values, 'out'),
    run: (model, files, onDone) => classifyFiles(model, files, options, onDone),
    answer: (r) => ({ classes: r.classes.map((c) => ({ classId: c.classId, label: c.label, score: c.score })) }),
  });
}

// `detectfn eval --model M --images DIR --labels DIR [--conf 0.001 --iou 0.7 --max-det 300]`:
// runs the model over a YOLO-format data set and prints mAP50 and mAP50-95 as `yolo val`
// computes them (core/map). An image without a label file is a background image. mAP is a
// detector's measure: a classifier is refused (WRONG_TASK) naming `detectfn classify`.
/** Ultralytics' val defaults. */
export const EVAL_DEFAULTS: DetectOptions = Object.freeze({ ...DEFAULT_DETECT_OPTIONS, conf: 0.001, iou: 0.7, maxDet: 300 });

export const EVAL_FLAGS = {
  model: { type: 'string', short: 'm' },
  images: { type: 'string' },
  labels: { type: 'string' },
  conf: { type: 'string' },
  iou: { type: 'string' },
  'max-det': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export function formatMap(r: MapResult): string {
  return [
    `images ${r.images}  labels ${r.labels}  predictions ${r.predictions}  classes ${r.perClass.length}`,
    `mAP50 ${r.map50.toFixed(4)}`,
    `mAP50-95 ${r.map50_95.toFixed(4)}`,
  ].join('\n');
}

export async function evalCommand(argv: readonly string[]): Promise<MapResult> {
  const { values, positionals } = parseCommand(argv, EVAL_FLAGS);
  if (positionals.length > 0) throw new UsageError(`eval takes no positional arguments (got ${positionals[0]}); use --images DIR`);
  const modelPath = requiredFlag(values, 'model');
  const imagesDir = requiredFlag(values, 'images');
  const labelsDir = requiredFlag(values, 'labels');
  if (!existsSync(labelsDir)) throw new UsageError(`--labels: no such directory: ${labelsDir}`);
  const options = detectOptionFlags(values, EVAL_DEFAULTS);
  const files = collectImages([imagesDir]);
  const { model, registry } = await openModel(modelPath, 'detect');
  const progress = createProgress(files.length, { label: 'eval' });
  let results;
  try {
    results = await detectFiles(model, files, options, progress.tick);
  } finally {
    progress.stop();
    await registry.close();
  }
  const images = results.map((r, i) => {
    const file = path.join(labelsDir, path.basename(files[i]).replace(/\.[^.]+$/, '.txt'));
    const labels = existsSync(file) ? parseYoloLabels(readFileSync(file, 'utf8'), r.image, file) : [];
    return { predictions: r.detections, labels };
  });
  const map = evaluateMap(images);
  process.stdout.write((values.json === true ? JSON.stringify(map) : formatMap(map)) + '\n');
  return map;
}

// What `detect` and `classify` share: the image arguments, the model opened for the command's
// task, a progress bar, and `{"images":[{image, width, height, ...answer}]}` written to --out
// or stdout. The commands differ only in their flags and the model call.
interface ImageAnswer {
  readonly image: { readonly width: number; readonly height: number };
}

export interface ImageCommand<R extends ImageAnswer> {
  readonly task: Task;
  readonly modelPath: string;
  readonly inputs: readonly string[];
  readonly out: string | undefined;
  readonly run: (model: ModelService, files: readonly string[], onDone: () => void) => Promise<R[]>;
  /** The answer fields of one image's entry (`detections` or `classes`). */
  readonly answer: (r: R) => object;
}

export async function runImageCommand<R extends ImageAnswer>(c: ImageCommand<R>): Promise<void> {
  if (c.inputs.length === 0) throw new UsageError(`${c.task} needs at least one image or directory`);
  const files = collectImages(c.inputs);
  const { model, registry } = await openModel(c.modelPath, c.task);
  const progress = createProgress(files.length, { label: c.task });
  try {
    const results = await c.run(model, files, progress.tick);
    progress.stop();
    const images = results.map((r, i) => ({ image: path.basename(files[i]!), width: r.image.width, height: r.image.height, ...c.answer(r) }));
    const text = JSON.stringify({ images }) + '\n';
    if (c.out !== undefined) await writeFile(c.out, text);
    else process.stdout.write(text);
  } finally {
    progress.stop();
    await registry.close();
  }
}

// Loads one model (manifest or .onnx path) for a one-shot command and waits until it is warm,
// with the same path resolution, cache, S3 and load-retry settings as the server; logs go to
// stderr at warn level so stdout stays the command's output.
export interface OpenModel {
  readonly model: ModelService;
  readonly registry: ModelRegistry;
}

/** The command that serves each task's models. */
const COMMAND: Record<Task, string> = { detect: 'detectfn detect', classify: 'detectfn classify' };

export async function openModel(modelPath: string, want?: Task): Promise<OpenModel> {
  const logger = cliLogger();
  const config = loadConfig(process.env);
  const registry = createModelRegistry(registryOptions(config, resolveModelPaths([modelPath]), logger));
  try {
    await registry.whenReady();
    const model = registry.get(registry.names()[0]);
    const { name, task } = model.describe();
    if (want !== undefined && task !== want) throw wrongTaskError(name, task, want, COMMAND[task]);
    return { model, registry };
  } catch (err) {
    await registry.close();
    throw err;
  }
}

// The image arguments: files as given, directories to their image files (sorted by name, not
// recursive). A missing path is a usage error naming it.
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.gif', '.avif']);

export function collectImages(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (!existsSync(arg)) throw new UsageError(`no such image or directory: ${arg}`);
    if (statSync(arg).isDirectory()) {
      const files = readdirSync(arg)
        .filter((f) => IMAGE_EXTENSIONS.has(path.extname(f).toLowerCase()))
        .sort()
        .map((f) => path.join(arg, f));
      out.push(...files);
    } else {
      out.push(arg);
    }
  }
  if (out.length === 0) throw new UsageError(`no images found in ${args.join(', ') || '(no arguments)'}`);
  return out;
}

/** Images read and in flight at once. */
export const IN_FLIGHT = 16;

async function runFiles<T>(files: readonly string[], run: (bytes: Uint8Array) => Promise<T>, onDone: () => void): Promise<T[]> {
  const results = new Array<T>(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const bytes = await readFile(files[i]);
      try {
        results[i] = await run(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      } catch (err) {
        throw new Error(`${files[i]}: ${(err as Error).message}`, { cause: err });
      }
      onDone();
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, files.length) }, worker));
  return results;
}

export function detectFiles(model: ModelService, files: readonly string[], options: DetectOptions, onDone: () => void = () => undefined): Promise<DetectResult[]> {
  return runFiles(files, (bytes) => model.detect(bytes, options), onDone);
}

export function classifyFiles(model: ModelService, files: readonly string[], options: ClassifyOptions, onDone: () => void = () => undefined): Promise<ClassifyResult[]> {
  return runFiles(files, async (bytes) => (await model.classifyMany([bytes], options))[0]!, onDone);
}

// Progress on stderr, one mechanism for every command that works through many items (cli-progress
// for the bar). On a TTY: a bar with done/total, images/s and the ETA. Off a TTY (CI, `2> log`)
// there are no escape codes: either nothing, or, where the caller asks for it (`plainEveryMs`),
// one plain line at most that often and one at the end, so a log keeps a readable trail.
export interface Progress {
  /** One item done; `failed` counts it among the failures (shown when the progress counts them). */
  tick(failed?: boolean): void;
  stop(): void;
}

export interface ProgressOptions {
  /** Leads the bar and each line: the command's name. */
  readonly label: string;
  /** Show how many items failed. @default false */
  readonly failures?: boolean;
  /** Off a TTY, a plain line at most this often (and when the last item is done). @default undefined: nothing off a TTY */
  readonly plainEveryMs?: number;
  /** @default process.stderr */
  readonly stream?: NodeJS.WriteStream;
}

export function createProgress(total: number, o: ProgressOptions): Progress {
  const stream = o.stream ?? process.stderr;
  const t0 = performance.now();
  let done = 0;
  let failed = 0;
  const count = (f: boolean | undefined) => {
    done += 1;
    if (f) failed += 1;
  };
  const rate = () => done / Math.max(1e-3, (performance.now() - t0) / 1000);
  if (stream.isTTY) {
    const failures = o.failures ? ' | {failed} failed' : '';
    const bar = new cliProgress.SingleBar(
      { stream, format: `${o.label} [{bar}] {value}/{total} | {rate} images/s${failures} | eta {eta_formatted}`, hideCursor: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.0', failed: 0 });
    return {
      tick(f) {
        count(f);
        bar.update(done, { rate: rate().toFixed(1), failed });
      },
      stop: () => bar.stop(),
    };
  }
  const every = o.plainEveryMs;
  if (every === undefined) return { tick: count, stop: () => undefined };
  let last = t0;
  return {
    tick(f) {
      count(f);
      const now = performance.now();
      if (now - last < every && done !== total) return;
      last = now;
      const failures = o.failures ? `, ${failed} failed` : '';
      stream.write(`${o.label}: ${done}/${total} done${failures}, ${rate().toFixed(1)} images/s, eta ${Math.round((total - done) / rate())}s\n`);
    },
    stop: () => undefined,
  };
}
