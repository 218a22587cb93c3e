import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECT_OPTIONS } from '../../core/options.js';
import { classifyOptionFlags, detectOptionFlags, integerFlag, parseCommand, requiredFlag, UsageError } from './cli.js';

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

describe('option flags (core/options\' one parser)', () => {
  it('reads --conf, --iou, --max-det over the base and --top-k over 5', () => {
    expect(detectOptionFlags({ conf: '0.3', 'max-det': '5' }, DEFAULT_DETECT_OPTIONS)).toEqual({ ...DEFAULT_DETECT_OPTIONS, conf: 0.3, maxDet: 5 });
    expect(detectOptionFlags({}, DEFAULT_DETECT_OPTIONS)).toEqual(DEFAULT_DETECT_OPTIONS);
    expect(classifyOptionFlags({ 'top-k': '2' })).toEqual({ topK: 2 });
    expect(classifyOptionFlags({})).toEqual({ topK: 5 });
  });
  it('refuses bad values as usage errors naming the flag', () => {
    expect(() => detectOptionFlags({ conf: 'abc' }, DEFAULT_DETECT_OPTIONS)).toThrow('Expected number between 0 and 1 for --conf but received "abc"');
    expect(() => detectOptionFlags({ conf: '' }, DEFAULT_DETECT_OPTIONS)).toThrow(UsageError);
    expect(() => detectOptionFlags({ 'max-det': '1.5' }, DEFAULT_DETECT_OPTIONS)).toThrow(/--max-det/);
    expect(() => classifyOptionFlags({ 'top-k': '0' })).toThrow('Expected integer between 1 and 1000 for --top-k but received 0');
    expect(() => integerFlag({ port: 'x' }, 'port', 0, 65535, 0)).toThrow(/--port/);
    expect(() => requiredFlag({}, 'model')).toThrow('missing required option --model');
  });
});
