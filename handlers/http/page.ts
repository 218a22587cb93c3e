/**
 * @module handlers/http/page
 * `GET /`: the web page (pick a model, drop an image, see the boxes, stage timings and the
 * model's-eye view). Its source is handlers/http/ui/page.html + page.js, kept apart so both
 * stay readable; they ship beside the code like the gRPC .proto files (scripts/build.mjs
 * copies handlers/http/ui/ to dist/ui/, where import.meta.url of the bundles points) and are
 * read once here, the script inlined, so the page is one response with no external URL.
 * The Content-Security-Policy allows exactly that inline script and style (by hash) and
 * fetches to this origin: an injected tag or a label carrying markup cannot run.
 * The page itself is open (auth.ts OPEN_PATHS): it holds no data, and a browser cannot put a
 * bearer token on a navigation. Every API call it makes carries the key the user typed.
 * DETECTFN_UI=off mounts nothing, so `/` is the 404 of any unknown route.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { App, AppDeps } from './middleware.js';

export const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));
const SCRIPT_TAG = '<script src="page.js"></script>';

export interface UiPage {
  readonly html: string;
  readonly headers: Record<string, string>;
}

const cspHash = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** page.html with page.js inlined, and the headers that pin what the page may load and run. */
export function loadUiPage(dir: string = UI_DIR): UiPage {
  const files = ['page.html', 'page.js'].map((f) => dir + f);
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(`web page: ${missing.join(', ')} missing (scripts/build.mjs copies handlers/http/ui/ to dist/ui/; DETECTFN_UI=off serves no page)`);
  }
  const [template, script] = files.map((f) => readFileSync(f, 'utf8')) as [string, string];
  const style = /<style>([\s\S]*?)<\/style>/.exec(template)?.[1];
  if (!template.includes(SCRIPT_TAG) || style === undefined) throw new Error(`web page: ${files[0]} needs one <style> and ${SCRIPT_TAG}`);
  // Inlined, a `</script` inside page.js would end the script early.
  if (/<\/script/i.test(script)) throw new Error(`web page: ${files[1]} must not contain </script>`);
  const csp = [
    "default-src 'none'",
    `script-src ${cspHash(script)}`,
    `style-src ${cspHash(style)}`,
    'img-src blob:',
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    html: template.replace(SCRIPT_TAG, () => `<script>${script}</script>`),
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': csp,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    },
  };
}

export function uiRoutes(app: App, deps: AppDeps): void {
  if (deps.config.DETECTFN_UI === 'off') return;
  const page = loadUiPage();
  app.get('/', (c) => c.body(page.html, 200, page.headers));
}
