/**
 * @module handlers/cli/cli.test
 *
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { integerFlag, numberFlag, parseCommand, requiredFlag, UsageError } from './cli.js';
import { collectImages } from './images.js';

const FLAGS = { conf: { type: 'string' }, model: { type: 'string', multiple: true } } as const;

describe('parseCommand', () => {
  it('parses flags and positionals', () => {
    const r = parseCommand(['--conf', '0.5', 'a.jpg', '--model', 'x', '--model', 'y'], FLAGS);
    expect(r.values).toEqual({ conf: '0.5', model: ['x', 'y'] });
    expect(r.positionals).toEqual(['a.jpg']);
  });
  it('names an unknown flag in a UsageError', () => {
    expect(() => parseCommand(['--cnf', '1'], FLAGS)).toThrow(UsageError);
    expect(() => parseCommand(['--cnf', '1'], FLAGS)).toThrow(/--cnf/);
  });
  it('names a flag with a missing value', () => {
    expect(() => parseCommand(['--conf'], FLAGS)).toThrow(/--conf/);
  });
});

describe('numeric flags', () => {
  it('reads numbers and applies defaults', () => {
    expect(numberFlag({ conf: '0.3' }, 'conf', 0, 1, 0.25)).toBe(0.3);
    expect(numberFlag({}, 'conf', 0, 1, 0.25)).toBe(0.25);
    expect(integerFlag({ 'max-det': '5' }, 'max-det', 1, 300, 300)).toBe(5);
  });
  it('refuses bad values with the flag name', () => {
    expect(() => numberFlag({ conf: 'abc' }, 'conf', 0, 1, 0)).toThrow('Expected number between 0 and 1 for --conf but received "abc"');
    expect(() => numberFlag({ conf: '' }, 'conf', 0, 1, 0)).toThrow(UsageError);
    expect(() => integerFlag({ 'max-det': '1.5' }, 'max-det', 1, 300, 300)).toThrow(/--max-det/);
    expect(() => requiredFlag({}, 'model')).toThrow('missing required option --model');
  });
});

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
