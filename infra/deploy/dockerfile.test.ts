/**
 * A small lint for infra/deploy/Dockerfile{,.gpu} (no hadolint here): classic-builder syntax
 * only, pinned bases, non-root numeric user, exec-form CMD/HEALTHCHECK, COPY sources that the
 * staging script provides, and one runtime section shared word for word by both files. The
 * HEALTHCHECK command itself runs against a real HTTP server, ready and not ready.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type Dockerfile, execCmd, finalStage, parseDockerfile } from '../../test/helpers/dockerfile.js';

function parse(file: string): Dockerfile & { text: string } {
  const text = readFileSync(new URL(file, import.meta.url), 'utf8');
  return { text, ...parseDockerfile(text, file) };
}

const FILES = { cpu: './Dockerfile', gpu: './Dockerfile.gpu' } as const;
const STAGED = new Set(['package.json', 'package-lock.json', 'prune-node-modules.sh', 'node_modules', 'models', 'dist']);
/** Everything after the marker line (which names the other file). */
const runtimeSection = (text: string) => text.slice(text.indexOf('\n', text.indexOf('# --- runtime')));

describe.each(Object.entries(FILES))('%s Dockerfile', (_kind, file) => {
  const parsed = parse(file);
  const { text, instructions, argDefaults } = parsed;
  const final = finalStage(parsed);

  it('uses only what the classic builder (plain docker build) understands', () => {
    expect(text).not.toMatch(/^# syntax=|--mount=|<<\s*['"]?EOF/m);
    for (const i of instructions) expect(['FROM', 'ARG', 'ENV', 'RUN', 'COPY', 'WORKDIR', 'USER', 'EXPOSE', 'HEALTHCHECK', 'STOPSIGNAL', 'CMD', 'LABEL']).toContain(i.op);
  });

  it('builds FROM pinned, overridable bases', () => {
    for (const from of instructions.filter((i) => i.op === 'FROM')) {
      const ref = from.args.split(/\s+/)[0]!;
      const image = ref.replace(/^\$\{(\w+)\}$/, (_, name: string) => argDefaults.get(name) ?? `<no default for ${name}>`);
      expect(image, ref).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(image).not.toMatch(/:latest$/);
    }
  });

  it('runs as a numeric non-root user with exec-form CMD and a node-fetch HEALTHCHECK on /readyz', () => {
    const user = final.filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(execCmd(parsed)).toEqual(['node', '--enable-source-maps', 'dist/server.js']);
    for (const i of instructions) expect(i.args).not.toMatch(/\b(curl|wget)\b/);
    expect(healthCommand(file)[0]).toBe('node');
  });

  it('copies only what scripts/deploy/stage-context.sh puts in the context', () => {
    for (const c of instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))) {
      for (const src of c.args.split(/\s+/).slice(0, -1)) expect(STAGED, src).toContain(src);
    }
  });
});

function healthCommand(file: string): string[] {
  const h = parse(file).instructions.find((i) => i.op === 'HEALTHCHECK')!;
  return JSON.parse(h.args.slice(h.args.indexOf('CMD') + 3)) as string[];
}

describe('the two Dockerfiles', () => {
  it('share the runtime section word for word', () => {
    expect(runtimeSection(parse(FILES.gpu).text)).toBe(runtimeSection(parse(FILES.cpu).text));
    expect(runtimeSection(parse(FILES.cpu).text)).toContain('HEALTHCHECK');
  });

  it('GPU: CUDA 12 + cuDNN runtime base, onnxruntime CUDA libraries installed and checked', () => {
    const { text, argDefaults } = parse(FILES.gpu);
    expect(argDefaults.get('CUDA_IMAGE')).toMatch(/^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-/);
    expect(text).toMatch(/ARG ONNXRUNTIME_NODE_INSTALL=cuda12/);
    expect(text).toMatch(/libonnxruntime_providers_cuda\.so/);
  });

  it.each([[200, 0], [503, 1]])('HEALTHCHECK command exits with the right code when /readyz answers %i', async (status, code) => {
    const server = createServer((req, res) => res.writeHead(req.url === '/readyz' ? status : 404).end()).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const [cmd, ...args] = healthCommand(FILES.cpu);
    const port = String((server.address() as AddressInfo).port);
    const exit = await new Promise<number>((resolve) => {
      execFile(cmd === 'node' ? process.execPath : cmd!, args, { env: { ...process.env, PORT: port } }, (err) => resolve(err ? Number(err.code) : 0));
    });
    server.close();
    expect(exit).toBe(code);
  });
});
