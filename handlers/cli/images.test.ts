import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from './cli.js';
import { collectImages, createProgress } from './images.js';

/** stderr as a pipe or a file (not a TTY): what CI and `2> log` see. */
function pipe() {
  const written: string[] = [];
  const stream = { isTTY: false, write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('collectImages', () => {
  it('expands directories to sorted image files and keeps files as given', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detectfn-cli-'));
    mkdirSync(path.join(dir, 'sub'));
    for (const f of ['b.jpg', 'a.PNG', 'notes.txt']) writeFileSync(path.join(dir, f), '');
    expect(collectImages([dir]).map((f) => path.basename(f))).toEqual(['a.PNG', 'b.jpg']);
    expect(collectImages([path.join(dir, 'notes.txt')])).toEqual([path.join(dir, 'notes.txt')]);
    expect(() => collectImages([path.join(dir, 'sub')])).toThrow(/no images found/);
    expect(() => collectImages([path.join(dir, 'missing')])).toThrow(UsageError);
  });
});

describe('createProgress off a TTY', () => {
  it('writes nothing unless the command asks for plain lines (detect, classify, eval)', () => {
    const { stream, written } = pipe();
    const p = createProgress(3, { label: 'detect', stream });
    for (let i = 0; i < 3; i++) p.tick();
    p.stop();
    expect(written).toEqual([]);
  });

  it('writes a plain line at most every plainEveryMs, and one when the last item is done (batch)', () => {
    const { stream, written } = pipe();
    const p = createProgress(4, { label: 'batch', failures: true, plainEveryMs: 3_600_000, stream });
    p.tick(false);
    p.tick(true);
    p.tick(false);
    expect(written).toEqual([]);
    p.tick(true);
    p.stop();
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^batch: 4\/4 done, 2 failed, \d+\.\d images\/s, eta 0s\n$/);
  });

  it('leaves the failure count out where the command does not count failures', () => {
    const { stream, written } = pipe();
    const p = createProgress(1, { label: 'eval', plainEveryMs: 0, stream });
    p.tick(true);
    expect(written[0]).toMatch(/^eval: 1\/1 done, \d+\.\d images\/s, eta 0s\n$/);
  });
});
