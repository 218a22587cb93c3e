/**
 * The `detectfn` CLI as a user runs it: a real child process (node with the tsx loader, so
 * signals reach it), real models and images from ../shared, real HTTP for `serve`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COCO128, IMAGES, MODELS, REFERENCE, repoRoot } from '../helpers/shared-data.js';
import { grpcClients, unary } from '../helpers/grpc-client.js';

interface Run { code: number | null; stdout: string; stderr: string }

function cli(args: string[], onStderr?: (text: string, kill: () => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'handlers/cli/main.ts'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr, () => child.kill('SIGTERM'));
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('usage errors exit 2 and name the problem', () => {
  it.each([
    [['detect', IMAGES.bus()], /missing required option --model/],
    [['detect', '--model', 'm.onnx', '--conf', '7', 'x.jpg'], /--conf/],
    [['detect', '--model', 'm.onnx', '--max-dets', '5', 'x.jpg'], /--max-dets/],
    [['eval', '--model', 'm.onnx', '--images', 'i'], /--labels/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['serve', '--port', 'eighty'], /--port/],
  ])('%j', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('Usage:');
  });
});

describe('detect', () => {
  it('writes the detections of images and directories as JSON (--out), no progress bar off a TTY', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-cli-'));
    const out = path.join(dir, 'dets.json');
    const r = await cli(['detect', '--model', MODELS.yolov8n(), IMAGES.bus(), path.dirname(IMAGES.zidane()), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/images\/s/);
    const got = JSON.parse(readFileSync(out, 'utf8')) as { images: { image: string; width: number; height: number; detections: { box: number[]; score: number; classId: number; label: string }[] }[] };
    expect(got.images.map((i) => i.image)).toEqual(['bus.jpg', 'bus.jpg', 'zidane.jpg']);
    const ref = JSON.parse(readFileSync(REFERENCE.samples(), 'utf8')) as { images: { image: string; width: number; height: number; detections: { classId: number }[] }[] };
    for (const im of got.images) {
      const want = ref.images.find((x) => x.image === im.image)!;
      expect([im.width, im.height]).toEqual([want.width, want.height]);
      expect(im.detections.map((d) => d.classId).sort()).toEqual(want.detections.map((d) => d.classId).sort());
      expect(Object.keys(im.detections[0]!)).toEqual(['box', 'score', 'classId', 'label']);
    }
    expect(got.images[0]!.detections.some((d) => d.label === 'bus')).toBe(true);
  });

  it('prints to stdout without --out, and exits 1 on an undecodable image', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-cli-'));
    const bad = path.join(dir, 'bad.jpg');
    writeFileSync(bad, 'not an image');
    const ok = await cli(['detect', '-m', MODELS.yolov8n(), '--conf', '0.5', IMAGES.zidane()]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).images[0].detections.every((d: { score: number }) => d.score >= 0.5)).toBe(true);
    const r = await cli(['detect', '--model', MODELS.yolov8n(), bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad.jpg');
  });
});

describe('eval', () => {
  it('prints mAP50 and mAP50-95 for a YOLO-format data set', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-eval-'));
    mkdirSync(path.join(dir, 'images'));
    mkdirSync(path.join(dir, 'labels'));
    for (const stem of ['000000000009', '000000000025', '000000000030', '000000000034']) {
      symlinkSync(path.join(COCO128.images(), `${stem}.jpg`), path.join(dir, 'images', `${stem}.jpg`));
      symlinkSync(path.join(COCO128.labels(), `${stem}.txt`), path.join(dir, 'labels', `${stem}.txt`));
    }
    const r = await cli(['eval', '--model', MODELS.yolov8n(), '--images', path.join(dir, 'images'), '--labels', path.join(dir, 'labels')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^images 4 {2}labels \d+ {2}predictions \d+ {2}classes \d+\nmAP50 0\.\d{4}\nmAP50-95 0\.\d{4}\n$/);
    const map = Number(/mAP50-95 (\S+)/.exec(r.stdout)![1]);
    expect(map).toBeGreaterThan(0.3);
  });
});

describe('serve', () => {
  it('serves the detect API and KServe v2 routes, and stops on SIGTERM with exit 0', async () => {
    let checked: Promise<number[]> | undefined;
    const r = await cli(['serve', '--port', '0', '--host', '127.0.0.1'], (text, kill) => {
      const url = /listening on (http:\S+)/.exec(text)?.[1];
      if (url === undefined || checked) return;
      checked = (async () => {
        let ready = 503;
        for (let i = 0; i < 600 && ready !== 200; i++) {
          ready = (await fetch(`${url}/v2/health/ready`)).status;
          if (ready !== 200) await new Promise((res) => setTimeout(res, 100));
        }
        const codes = [ready, (await fetch(`${url}/healthz`)).status, (await fetch(`${url}/v2`)).status];
        kill();
        return codes;
      })();
    });
    expect(await checked).toEqual([200, 200, 200]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('--grpc-port G serves KServe v2 gRPC on G; --grpc-port 0 turns it off', async () => {
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    let live: Promise<unknown> | undefined;
    const on = await cli(['serve', '--port', '0', '--grpc-port', String(free), '--host', '127.0.0.1'], (text, kill) => {
      if (live || !/listening on/.test(text)) return;
      const c = grpcClients(free);
      live = unary(c.inference, 'ServerLive', {}).then((r) => r.res).finally(() => (c.close(), kill()));
    });
    expect(on.stderr).toContain(`(gRPC port ${free})`);
    expect(await live).toEqual({ live: true });
    const off = await cli(['serve', '--port', '0', '--grpc-port', '0', '--host', '127.0.0.1'], (text, kill) => /listening on/.test(text) && kill());
    expect(off.stderr).toMatch(/listening on http:\S+\n/);
    expect(off.stderr).not.toContain('gRPC');
  });
});
