/**
 * Which JPEG decoder a started server uses, and what happens where the native addon is absent
 * (a machine without a C compiler or libturbojpeg0-dev at build time): real dist bundles in
 * real child processes. The "absent" case is a copy of the bundles without dist/native beside
 * them (the addon is found beside the bundle), so the repo's own build is untouched.
 */
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServerProcess, spawnDist, type DistProcess, type LogLine } from '../helpers/server-process.js';
import { rectanglesImage, RGB } from '../helpers/images.js';
import { repoRoot } from '../helpers/shared-data.js';

const copy = path.join(repoRoot, '.cache', `no-native-${process.pid}`);
mkdirSync(path.join(copy, 'dist'), { recursive: true });
for (const f of ['server.js', 'engine-worker.js', 'decode-worker.js']) cpSync(path.join(repoRoot, 'dist', f), path.join(copy, 'dist', f));
for (const d of ['proto', 'ui']) cpSync(path.join(repoRoot, 'dist', d), path.join(copy, 'dist', d), { recursive: true });
const withoutAddon = path.relative(path.join(repoRoot, 'dist'), path.join(copy, 'dist', 'server.js'));

const running: DistProcess[] = [];
afterAll(() => {
  running.forEach((p) => p.stop());
  rmSync(copy, { recursive: true, force: true });
});

const env = { DETECTFN_GRPC_PORT: '0', DETECTFN_DECODE_WORKERS: '1' };
const isDecoderLine = (l: LogLine) => l.jpegDecoder !== undefined;

/** Shapes the demo model finds, as a JPEG (its compression noise makes the scores depend on every pixel). */
const shapes = rectanglesImage(500, 375, [
  { x1: 40, y1: 50, x2: 200, y2: 180, color: RGB.red },
  { x1: 260, y1: 120, x2: 460, y2: 330, color: RGB.blue },
], 'jpeg');

async function detect(port: number): Promise<unknown[]> {
  const models = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as { models: { name: string }[] };
  const res = await fetch(`http://127.0.0.1:${port}/v1/models/${models.models[0]!.name}/detect`, { method: 'POST', body: await shapes, headers: { 'content-type': 'image/jpeg' } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { detections: unknown[] }).detections;
}

describe('JPEG decoder at start-up', () => {
  it('auto: the build with the addon decodes with turbojpeg; without it, with sharp, saying why, and the detections are identical', async () => {
    const native = await startServerProcess(env);
    running.push(native);
    const nativeLine = await native.waitForLine(isDecoderLine);
    expect(nativeLine).toMatchObject({ jpegDecoder: 'turbojpeg', msg: expect.stringMatching(/JPEG by turbojpeg \(libjpeg-turbo \d/) });

    const fallback = spawnDist(withoutAddon, [], { ...env, HOST: '127.0.0.1', PORT: '0' });
    running.push(fallback);
    const line = await fallback.waitForLine(isDecoderLine);
    expect(line).toMatchObject({ jpegDecoder: 'sharp', msg: expect.stringMatching(/JPEG by sharp \(.*turbojpeg\.node is not built/) });
    const port = (await fallback.waitForLine((l) => l.msg === 'listening')).port as number;
    await fallback.waitForLine((l) => l.msg === 'ready');
    await native.waitForLine((l) => l.msg === 'ready');
    // Same pixels from either decoder, so the same model output to the last digit.
    const viaNative = await detect(native.port);
    expect(viaNative).toHaveLength(2);
    expect(await detect(port)).toEqual(viaNative);
  });

  it('turbojpeg asked for but not built: exit 1 with one fatal line naming the variable and the reason', async () => {
    const p = spawnDist(withoutAddon, [], { ...env, DETECTFN_JPEG_DECODER: 'turbojpeg' });
    running.push(p);
    const { code } = await p.exited;
    expect(code).toBe(1);
    const fatal = p.lines.filter((l) => l.level === 60);
    expect(fatal).toHaveLength(1);
    expect(JSON.stringify(fatal[0])).toMatch(/DETECTFN_JPEG_DECODER.*not available.*turbojpeg\.node is not built/);
  });

  it('a bad value is refused at start-up naming the field', async () => {
    const p = spawnDist('server.js', [], { ...env, DETECTFN_JPEG_DECODER: 'libjpeg' });
    running.push(p);
    const { code } = await p.exited;
    expect(code).toBe(1);
    expect(JSON.stringify(p.lines) + (await p.exited).stderr).toMatch(/DETECTFN_JPEG_DECODER/);
  });
});
