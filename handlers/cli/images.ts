/**
 * @module handlers/cli/images
 * Expands the image arguments: files as given, directories to their image files (sorted by
 * name, not recursive). A missing path is a usage error naming it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './args.js';

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
