// Builds detectfn's JPEG decoder addon (infra/image/native/turbojpeg.c) into dist/native/:
// turbojpeg.node beside the libturbojpeg.so.0 it links (found through rpath $ORIGIN, so the
// folder is self-contained: a container or a GPU pack needs only glibc) and that library's
// copyright. Needs a C compiler and Debian's libturbojpeg0-dev + libjpeg62-turbo-dev
// (scripts/install-system-deps.sh installs them). Where they are missing the build says so and
// goes on: the service then decodes JPEG with sharp (same pixels, about twice the CPU), and
// DETECTFN_JPEG_DECODER=turbojpeg refuses to start. Rebuilt only when the source is newer.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';

const SOURCE = 'infra/image/native/turbojpeg.c';
const OUT_DIR = 'dist/native';
const ADDON = join(OUT_DIR, 'turbojpeg.node');
const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];
const LIB = 'libturbojpeg.so.0';

function nodeApiInclude() {
  const fromPackage = 'node_modules/node-api-headers/include';
  if (existsSync(join(fromPackage, 'node_api.h'))) return fromPackage;
  const fromNode = join(dirname(process.execPath), '..', 'include', 'node');
  return existsSync(join(fromNode, 'node_api.h')) ? fromNode : undefined;
}

/** Builds when stale; returns a line for the build log. Never throws for a missing toolchain. */
export function buildNativeDecoder() {
  const t0 = performance.now();
  if (existsSync(ADDON) && statSync(ADDON).mtimeMs >= statSync(SOURCE).mtimeMs) return 'native: dist/native/turbojpeg.node up to date';
  const include = nodeApiInclude();
  const libDir = LIB_DIRS.find((d) => existsSync(join(d, LIB)));
  const missing = [
    !include && 'Node-API headers (npm ci installs node-api-headers)',
    !libDir && `${LIB} (apt-get install libturbojpeg0-dev)`,
    !existsSync('/usr/include/turbojpeg.h') && 'turbojpeg.h (apt-get install libturbojpeg0-dev)',
  ].filter(Boolean);
  if (missing.length > 0) return `native: NOT built, missing ${missing.join(', ')}; JPEG decodes with sharp`;
  mkdirSync(OUT_DIR, { recursive: true });
  try {
    execFileSync(process.env.CC ?? 'cc', [
      '-O2', '-fPIC', '-shared', '-Wall', '-Wextra', '-Werror', `-I${include}`, '-o', ADDON, SOURCE,
      `-L${libDir}`, `-l:${LIB}`, '-Wl,-rpath,$ORIGIN',
    ], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    return `native: NOT built, the C compiler failed (${err.message.split('\n')[0]}); JPEG decodes with sharp`;
  }
  copyFileSync(join(libDir, LIB), join(OUT_DIR, LIB));
  const copyright = '/usr/share/doc/libturbojpeg0/copyright';
  writeFileSync(join(OUT_DIR, 'LICENSE.libjpeg-turbo'), existsSync(copyright) ? readFileSync(copyright) : 'libjpeg-turbo: IJG and BSD-3-Clause licences, https://libjpeg-turbo.org\n');
  return `native: dist/native/turbojpeg.node (libturbojpeg from ${libDir}) in ${(performance.now() - t0).toFixed(0)} ms`;
}
