/**
 * @module scripts/gpu-check/pack-files
 * The file steps of `npm run gpu-pack`: copy, compress (cached in .cache/gpu-pack, keyed by
 * the source's size and mtime, since brotli and xz of 45-100 MB take a minute on 2 cores) and
 * the size walk.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';

const CACHE = '.cache/gpu-pack';

export function copyInto(src: string, dest: string): void {
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(src, dest);
}

/** Quality 6, 16 MiB window: 45.8 -> 14.8 MB in about 12 s here, inflated in under a second. */
export function brotli(bytes: Uint8Array): Buffer {
  return brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 6,
      [constants.BROTLI_PARAM_LGWIN]: 24,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
}

/** `compress(src)` written to dest, reusing the cached result for an unchanged source. */
export function compressedCopy(src: string, dest: string, kind: 'br' | 'xz'): void {
  const st = statSync(src);
  const cached = join(CACHE, `${src.replace(/[^A-Za-z0-9._-]/g, '_')}-${st.size}-${Math.trunc(st.mtimeMs)}.${kind}`);
  if (!existsSync(cached)) {
    mkdirSync(CACHE, { recursive: true });
    if (kind === 'br') writeFileSync(cached, brotli(readFileSync(src)));
    // xz, not brotli: the node binary is what inflates brotli, so it needs a tool the GPU image has (xz or python3's lzma).
    else writeFileSync(cached, execFileSync('xz', ['-T0', '-6', '-c', src], { maxBuffer: 1 << 30 }));
  }
  copyInto(cached, dest);
}

/** Every file under dir with its size, by path relative to dir. */
export function fileSizes(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = statSync(p).size;
    }
  };
  walk(dir);
  return out;
}

/** Debian's Vulkan loader from the apt mirror (cached), or why apt could not get it. */
export function vulkanLoader(): { path: string } | { error: string } {
  const dir = join(CACHE, 'vulkan');
  const lib = join(dir, 'root/usr/lib/x86_64-linux-gnu/libvulkan.so.1');
  try {
    if (!existsSync(lib)) {
      mkdirSync(dir, { recursive: true });
      execFileSync('apt-get', ['download', 'libvulkan1:amd64'], { cwd: dir, stdio: 'pipe' });
      const deb = readdirSync(dir).find((f) => f.startsWith('libvulkan1_') && f.endsWith('.deb'));
      if (!deb) throw new Error('apt-get download left no libvulkan1 .deb');
      execFileSync('dpkg', ['-x', join(dir, deb), join(dir, 'root')], { stdio: 'pipe' });
    }
    return { path: lib };
  } catch (err) {
    return { error: (err as Error).message.split('\n')[0]! };
  }
}
