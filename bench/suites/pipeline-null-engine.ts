/**
 * @module bench/suites/pipeline-null-engine
 * The GPU ceiling, measured without a GPU: the whole serving path (HTTP body -> decode ->
 * letterbox -> batch -> engine -> decode/NMS -> JSON) with an engine that costs nothing
 * (bench/null-engine: yolov8n's tensors, a fixed prediction expanded to the batch). The real
 * server runs in this process, one per decode-worker count (0, 1 and 2), plus one with 1 worker
 * that decodes JPEG with sharp instead of the libjpeg-turbo addon (`DETECTFN_JPEG_DECODER=sharp`:
 * same pixels; the before/after of that addon, paired per round), and autocannon loads it
 * from a child with 8 connections, on bus.jpg and on the 128 coco128 images in turn.
 * Beside it, in the same rounds, the Python way (bench/peers/cv2_pipeline.py: cv2.imdecode +
 * LetterBox + normalise, single-threaded) on the same images.
 * Per core = images per CPU-second: this process's CPU time (every thread: event loop, decode
 * workers, engine worker, libvips) over the load, against the Python child's CPU time. The
 * load generator's CPU is not counted (it is the client). Rounds interleave all runs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { type RunningServer, startServer } from '../../handlers/serve.js';
import { decodeWorkersFor } from '../../infra/image/decoder.js';
import type { JpegDecoderChoice } from '../../infra/image/pipeline.js';
import { usableCores } from '../../infra/host.js';
import { silentLogger } from '../../infra/config.js';
import { COCO128, IMAGES } from '../../test/helpers/shared-data.js';
import { expectAllOk, runLoad } from '../load/run-load.js';
import { NULL_OBJECTS, writeNullModel } from '../null-engine/null-model.js';
import { cv2Peer, type Cv2Peer } from '../peers/cv2-pipeline.js';
import { CV2_MISSING } from '../peers/run-python.js';
import { type BenchResult, type BenchSuite, percentile, summarize } from '../report.js';

/** Server configurations; w0 (decode in the event loop's thread, the default before it scaled with cores) for reference. */
interface Config { readonly tag: string; readonly workers: number; readonly jpeg: JpegDecoderChoice }
const CONFIGS: readonly Config[] = [
  { tag: 'w0', workers: 0, jpeg: 'auto' },
  { tag: 'w1', workers: 1, jpeg: 'auto' },
  { tag: 'w2', workers: 2, jpeg: 'auto' },
  { tag: 'w1.sharp_jpeg', workers: 1, jpeg: 'sharp' },
];
// Enough requests in flight to fill batches of 8 while decodes run; more only queue.
const CONNECTIONS = 8;
const median = (xs: readonly number[]) => percentile([...xs].sort((a, b) => a - b), 50);

/** `load`: the 1-minute load average after the run (other processes share these cores). */
interface Rate { readonly perS: number; readonly perCpuS: number; readonly cores: number; readonly load: number }
/**
 * `mainMs`, `gcMs`: the server's event-loop thread busy, and in garbage collection, per image (wall
 * time: a loaded machine inflates them). `mainCpuMs`: CPU time of that thread alone per image.
 */
interface ServerRate extends Rate { readonly mainMs: number; readonly gcMs: number; readonly mainCpuMs: number }

/** CPU ms of this process's main thread (Linux /proc, clock ticks of 10 ms); NaN elsewhere. */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

async function loadServer(server: RunningServer, files: readonly string[], seconds: number): Promise<ServerRate> {
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => list.getEntries().forEach((e) => (gcMs += e.duration)));
  gc.observe({ entryTypes: ['gc'] });
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const r = await runLoad({
    url: `${server.url}/v1/models/null-engine/detect`, method: 'POST', headers: { 'content-type': 'image/jpeg' }, bodyFiles: files, connections: CONNECTIONS, duration: seconds,
  });
  const cpu = process.cpuUsage(cpu0);
  const mainCpuMs = mainThreadCpuMs() - main0;
  const elu = performance.eventLoopUtilization(elu0);
  gc.disconnect();
  expectAllOk(r, 'null-engine load');
  const cpuS = (cpu.user + cpu.system) / 1e6;
  return { perS: r.ok / r.seconds, perCpuS: r.ok / cpuS, cores: cpuS / r.seconds, load: loadavg()[0]!, mainMs: elu.active / r.ok, gcMs: gcMs / r.ok, mainCpuMs: mainCpuMs / r.ok };
}

async function loadPeer(peer: Cv2Peer, files: readonly string[], seconds: number): Promise<Rate> {
  const r = await peer(files, seconds);
  return { perS: r.images / r.wallS, perCpuS: r.images / r.cpuS, cores: r.cpuS / r.wallS, load: loadavg()[0]! };
}

/** Starts the server on the null model and checks it answers with the model's boxes. */
async function nullServer(manifest: string, c: Config): Promise<RunningServer> {
  const config = { HOST: '127.0.0.1', PORT: 0, DETECTFN_GRPC_PORT: 0, DETECTFN_MODELS: [manifest], DETECTFN_DECODE_WORKERS: c.workers, DETECTFN_JPEG_DECODER: c.jpeg };
  const server = await startServer({ env: {}, logger: silentLogger(), config });
  await server.ready;
  const res = await fetch(`${server.url}/v1/models/null-engine/detect`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: readFileSync(IMAGES.bus()) });
  const body = (await res.json()) as { detections?: unknown[] };
  if (res.status !== 200 || (body.detections?.length ?? 0) < NULL_OBJECTS.length) throw new Error(`null-engine server answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return server;
}

export const pipelineNullEngineSuite: BenchSuite = {
  name: 'pipeline-null-engine',
  async run(ctx) {
    const seconds = ctx.quick ? 4 : 10;
    const rounds = ctx.quick ? 1 : 3;
    const cocoDir = COCO128.images();
    const sets = { bus: [IMAGES.bus()], coco128: readdirSync(cocoDir).filter((f) => f.endsWith('.jpg')).sort().map((f) => path.join(cocoDir, f)) };
    const manifest = await writeNullModel(path.join(tmpdir(), 'detectfn-bench-null-engine'));
    const peer = cv2Peer();
    if (!peer) ctx.progress(`${CV2_MISSING} (peer.cv2_pipeline figures)`);
    const servers = new Map<string, RunningServer>();
    const ours: Record<string, ServerRate[]> = {};
    const theirs: Record<string, Rate[]> = {};
    try {
      for (const c of CONFIGS) servers.set(c.tag, await nullServer(manifest, c));
      for (const server of servers.values()) await loadServer(server, sets.coco128, 1); // warm-up: every batch shape, decode workers started
      for (let round = 0; round < rounds; round++) {
        for (const [set, files] of Object.entries(sets)) {
          // Alternate which worker count goes first, so neither always meets a cooler machine.
          for (const { tag } of round % 2 === 0 ? CONFIGS : [...CONFIGS].reverse()) {
            const rate = await loadServer(servers.get(tag)!, files, seconds);
            (ours[`${set}.${tag}`] ??= []).push(rate);
            ctx.progress(`round ${round + 1}/${rounds} ${set} ${tag}: ${rate.perS.toFixed(1)} img/s, ${rate.perCpuS.toFixed(1)} img/CPU-s (${rate.cores.toFixed(2)} cores), event loop ${rate.mainMs.toFixed(1)} ms/img (GC ${rate.gcMs.toFixed(1)}), CPU ${(1000 / rate.perCpuS).toFixed(1)} ms/img (main thread ${rate.mainCpuMs.toFixed(1)})`);
          }
          if (!peer) continue;
          const rate = await loadPeer(peer, files, seconds);
          (theirs[set] ??= []).push(rate);
          ctx.progress(`round ${round + 1}/${rounds} ${set} cv2: ${rate.perS.toFixed(1)} img/s, ${rate.perCpuS.toFixed(1)} img/CPU-s`);
        }
      }
    } finally {
      await Promise.all([...servers.values()].map((s) => s.close()));
    }
    return report(ours, theirs, Object.keys(sets));
  },
};

function report(ours: Record<string, ServerRate[]>, theirs: Record<string, Rate[]>, sets: string[]): BenchResult[] {
  const cores = usableCores().cores;
  const results: BenchResult[] = [];
  for (const set of sets) {
    for (const c of CONFIGS) {
      const w = c.workers;
      const tag = `${set}.${c.tag}`;
      const r = ours[tag]!;
      const jpeg = c.jpeg === 'sharp' ? ', JPEG decoded by sharp (DETECTFN_JPEG_DECODER=sharp)' : '';
      const where = `${set === 'bus' ? 'bus.jpg' : 'coco128 (128 images)'}, ${w === 0 ? 'decoded in the event loop thread' : `${w} decode worker${w > 1 ? 's' : ''}`}${w === decodeWorkersFor(cores) && !jpeg ? ' (the default here)' : ''}${jpeg}, ${CONNECTIONS} connections`;
      results.push(summarize(`pipeline.null_engine.images_per_s.${tag}`, 'img/s', r.map((x) => x.perS), { note: `${where}; server used ${median(r.map((x) => x.cores)).toFixed(2)} of ${cores} usable cores at load average ${median(r.map((x) => x.load)).toFixed(1)}` }));
      results.push(summarize(`pipeline.null_engine.images_per_cpu_s.${tag}`, 'img/CPU-s', r.map((x) => x.perCpuS), {
        note: `per core: images / CPU-seconds of the server process (all threads), ${(1000 / median(r.map((x) => x.perCpuS))).toFixed(1)} CPU ms per image, ${median(r.map((x) => x.mainCpuMs)).toFixed(1)} of them on the main thread; its event loop busy ${median(r.map((x) => x.mainMs)).toFixed(1)} ms per image (wall), ${median(r.map((x) => x.gcMs)).toFixed(1)} ms of it in GC`,
      }));
      const peer = theirs[set];
      if (!peer) continue;
      // Paired by round: both ran minutes apart at most, under the same machine load.
      const ratios = r.map((x, i) => x.perCpuS / peer[i]!.perCpuS);
      results.push(summarize(`pipeline.null_engine.vs_cv2.${tag}`, 'x', ratios, {
        target: { op: '>=', value: 1.5 },
        note: 'per core: detectfn img per CPU-s / cv2 pipeline img per CPU-s (single-threaded script), paired per round',
      }));
    }
    const [withAddon, withSharp] = [ours[`${set}.w1`]!, ours[`${set}.w1.sharp_jpeg`]!];
    results.push(summarize(`pipeline.null_engine.turbojpeg_gain.${set}.w1`, 'x', withAddon.map((x, i) => x.perCpuS / withSharp[i]!.perCpuS), {
      note: 'per core: img per CPU-s with the libjpeg-turbo addon / with sharp decoding the JPEG (same pixels), 1 decode worker, paired per round',
    }));
    const peer = theirs[set];
    if (!peer) continue;
    results.push(summarize(`peer.cv2_pipeline.images_per_s.${set}`, 'img/s', peer.map((x) => x.perS), { note: 'cv2.imdecode + LetterBox + HWC->CHW /255 float32, 1 thread, wall clock' }));
    results.push(summarize(`peer.cv2_pipeline.images_per_cpu_s.${set}`, 'img/CPU-s', peer.map((x) => x.perCpuS), { note: 'per core: images / CPU-seconds of the Python process' }));
  }
  return results;
}
