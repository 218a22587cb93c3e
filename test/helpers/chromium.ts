/**
 * A real browser for page tests: Debian's chromium (/usr/bin/chromium, installed by
 * scripts/install-system-deps.sh) driven by playwright-core, which never downloads a browser.
 * Headless, as root, on a closed network: the flags below are the ones
 * ../shared/notes/environment.md lists (without the networking ones chromium keeps dialling out
 * and its refused connections pile up). Each launch gets a fresh user-data-dir, removed by close().
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1200, height: 760 }): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-system-deps.sh (Debian's chromium)`);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'detectfn-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
