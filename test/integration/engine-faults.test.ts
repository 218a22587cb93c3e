/**
 * A dead engine never looks ready and never swallows work. Real parts only: the demo ONNX model
 * (copied to a temp path so the test can make it vanish), real worker threads that really exit
 * (the real worker wrapped to call process.exit on a marker feed, test/helpers/crash.ts), real restarts.
 */
import { copyFileSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DetectError } from '../../core/errors.js';
import type { TensorMap } from '../../core/types.js';
import { createEngine, type EngineLogger, type EngineOptions, type WorkerEngine } from '../../infra/engine/engine.js';
import { CRASHING_ENGINE_WORKER, crashFeed, failLoadMarker } from '../helpers/crash.js';
import { repoRoot } from '../helpers/shared-data.js';
import { randomImages } from '../helpers/tensor-fixtures.js';

const DEMO = path.join(repoRoot, 'models/demo/demo.onnx');
const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-engine-faults-'));
const engines: WorkerEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** A private copy of the demo model that the test may delete and put back. */
function modelCopy(name: string): string {
  const file = path.join(dir, `${name}.onnx`);
  copyFileSync(DEMO, file);
  return file;
}

function recordingLogger() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => void lines.push({ level, msg, fields });
  const logger: EngineLogger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { lines, logger };
}

async function engine(modelPath: string, options: Partial<EngineOptions> = {}): Promise<WorkerEngine> {
  const e = await createEngine({
    modelPath, providers: ['cpu'], intraOpThreads: 1, workerScript: CRASHING_ENGINE_WORKER,
    restartBackoff: { baseDelayMs: 200, maxDelayMs: 1000 }, ...options,
  });
  engines.push(e);
  return e;
}

/** What the demo model answers for one 320x320 image: 4 box + 4 class rows over 6400 anchors. */
const SERVED = 'served [1,8,6400]';
const feeds = (seed: number): TensorMap => ({ images: randomImages(seed, 1, 320) });
/** Feeds whose run makes its thread exit mid-run. */
const crashing = (seed: number): TensorMap => ({ ...feeds(seed), ...crashFeed() });

/** How a run ended: served, or the code of the typed error it failed with. */
async function outcome(p: Promise<TensorMap>): Promise<string> {
  try {
    const out = await p;
    return `served ${JSON.stringify(Object.values(out)[0]!.dims)}`;
  } catch (err) {
    expect(err).toBeInstanceOf(DetectError); // never a bare Error: every failure is typed
    return (err as DetectError).code;
  }
}

describe('engine faults (real worker threads, demo model)', () => {
  it('workers killed again and again under load: every run settles, served or typed, and the engine recovers', async () => {
    const { lines, logger } = recordingLogger();
    const e = await engine(modelCopy('load'), { workers: 2, logger });
    const outcomes: string[] = [];
    for (let round = 0; round < 6; round++) {
      const runs = Array.from({ length: 8 }, (_, i) => e.run(i === 2 || (round % 2 === 1 && i === 5) ? crashing(round * 10 + i) : feeds(round * 10 + i)));
      outcomes.push(...(await Promise.all(runs.map(outcome))));
    }
    expect(outcomes).toHaveLength(48);
    const counts = outcomes.reduce<Record<string, number>>((m, o) => ((m[o] = (m[o] ?? 0) + 1), m), {});
    // Only the runs that crashed their worker fail (9 of them); the rest wait for a live or starting worker.
    expect(Object.keys(counts).sort()).toEqual(['WORKER_CRASHED', SERVED]);
    expect(counts.WORKER_CRASHED).toBe(9);
    await vi.waitFor(() => expect(e.workerCount).toBe(2), { timeout: 60_000, interval: 50 });
    expect(e.health()).toEqual({ state: 'ready' });
    expect(await outcome(e.run(feeds(99)))).toBe(SERVED);
    expect(lines.filter((l) => l.msg === 'engine worker replaced')).toHaveLength(9);
  });

  it('with one worker, runs queued behind a crash wait for its replacement and are served', async () => {
    const e = await engine(modelCopy('queued'));
    const crash = e.run(crashing(1));
    const queued = [2, 3, 4].map((s) => e.run(feeds(s)));
    expect(await outcome(crash)).toBe('WORKER_CRASHED');
    expect(await Promise.all(queued.map(outcome))).toEqual(Array(3).fill(SERVED));
  });

  it('model file gone: runs fail fast with ENGINE_UNAVAILABLE, health says why; the file back: backoff restarts it', async () => {
    const file = modelCopy('vanish');
    const { lines, logger } = recordingLogger();
    const e = await engine(file, { logger });
    unlinkSync(file);
    const crash = e.run(crashing(1));
    const queued = e.run(feeds(2)); // waits for the replacement, which cannot read the model
    expect(await outcome(crash)).toBe('WORKER_CRASHED');
    const err = await queued.catch((x: DetectError) => x);
    expect(err).toMatchObject({ code: 'ENGINE_UNAVAILABLE', status: 503 });
    expect(err.retryAfterS).toBeGreaterThanOrEqual(1);
    expect(err.stack).toContain('engine-faults.test.ts'); // points at the caller, not a worker handler

    const health = e.health();
    expect(health.state).toBe('unavailable');
    expect(health.reason).toMatch(/^no live engine worker: replacement failed: .*vanish\.onnx.*; next attempt in \d+ s$/);
    // Nothing is queued while nothing can run it: the rejection comes before any wait.
    const fast = e.run(feeds(3));
    expect(e.queued).toBe(0);
    expect(await outcome(fast)).toBe('ENGINE_UNAVAILABLE');

    // Retried with backoff while the file is missing (several failed attempts, growing waits).
    await vi.waitFor(() => expect(lines.filter((l) => l.msg === 'engine worker replacement failed').length).toBeGreaterThanOrEqual(2), { timeout: 30_000, interval: 50 });
    const failures = lines.filter((l) => l.msg === 'engine worker replacement failed');
    expect(failures[0]!.fields).toMatchObject({ attempt: 1, error: expect.stringContaining('vanish.onnx') });
    expect(failures[1]!.fields.attempt).toBe(2);

    copyFileSync(DEMO, file);
    await vi.waitFor(() => expect(e.health()).toEqual({ state: 'ready' }), { timeout: 30_000, interval: 50 });
    expect(e.workerCount).toBe(1);
    expect(await outcome(e.run(feeds(4)))).toBe(SERVED);
  });

  it('close() finishes when the only worker is dead and its replacement keeps failing', async () => {
    const file = modelCopy('close-dead');
    const e = await engine(file, { restartBackoff: { baseDelayMs: 50, maxDelayMs: 100 } });
    unlinkSync(file);
    expect(await outcome(e.run(crashing(1)))).toBe('WORKER_CRASHED');
    await vi.waitFor(() => expect(e.health().state).toBe('unavailable'), { timeout: 30_000, interval: 20 });
    await e.close(); // a hang here fails the test by its timeout
    expect(e.health()).toEqual({ state: 'unavailable', reason: 'engine is closed' });
    expect(await outcome(e.run(feeds(2)))).toBe('NOT_READY');
  });

  it('close() while a replacement is starting stops it and rejects what waited for it', async () => {
    const e = await engine(modelCopy('close-starting'));
    const crash = outcome(e.run(crashing(1)));
    const waiting = outcome(e.run(feeds(2)));
    await vi.waitFor(() => expect(e.health().reason).toBe('no live engine worker: replacement starting'), { timeout: 30_000, interval: 5 });
    await e.close();
    expect(await crash).toBe('WORKER_CRASHED');
    expect(await waiting).toBe('NOT_READY');
    expect(e.workerCount).toBe(0);
  });

  it('a worker module that fails to load fails createEngine with ENGINE_ERROR naming why', async () => {
    const file = modelCopy('load-fails');
    writeFileSync(failLoadMarker(file), '');
    const err = await engine(file).catch((x: DetectError) => x);
    expect(err).toMatchObject({ code: 'ENGINE_ERROR', message: expect.stringContaining('engine worker failed: engine worker module failed to load') });
  });

  // What piscina could not keep: it never again replaces a thread that failed while loading its
  // module (its `workerFailsDuringBootstrap`), where the old pool retried with backoff. A model
  // that fails to load is not that case (threads prepare their session after loading, and retry
  // with backoff); a worker module that fails to load (a broken build, say) is. Such an engine
  // says so and fails fast for good, rather than recovering when the module loads again.
  it('LIMITATION: a replacement thread whose module fails to load is never replaced: the engine stays unavailable, says why, and still closes', async () => {
    const file = modelCopy('replacement-load-fails');
    const { lines, logger } = recordingLogger();
    const e = await engine(file, { logger });
    writeFileSync(failLoadMarker(file), '');
    expect(await outcome(e.run(crashing(1)))).toBe('WORKER_CRASHED');
    const queued = outcome(e.run(feeds(2))); // waits for the replacement while it loads
    const reason = 'no live engine worker: its threads failed while loading, and piscina does not replace those';
    await vi.waitFor(() => expect(e.health()).toEqual({ state: 'unavailable', reason }), { timeout: 30_000, interval: 20 });
    expect(await queued).toBe('ENGINE_UNAVAILABLE');
    expect(lines.map((l) => l.msg)).toContain('engine worker error');
    unlinkSync(failLoadMarker(file)); // the module would load now: piscina does not try again
    expect(await outcome(e.run(feeds(3)))).toBe('ENGINE_UNAVAILABLE');
    expect(e.health().state).toBe('unavailable');
    await e.close();
  });
});
