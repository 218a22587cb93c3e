/**
 * @module handlers/cli/inspect-report
 * The text `detectfn inspect` prints: plan, steps, per-channel stats, and for each --compare
 * the per-channel differences and the verdict. Plain lines, one fact each, easy to grep.
 */
import { significant } from '../../core/math/index.js';
import type { ChannelStats, Comparison, PlanView, PreprocessStep } from '../../core/preprocess/index.js';
import type { PreprocessedImage } from '../../infra/runtime/index.js';

const n = (x: number) => significant(x, 4);
const size = (s: { width: number; height: number }) => `${s.width}x${s.height}`;

function planLine(p: PlanView): string {
  switch (p.kind) {
    case 'letterbox': {
      const pad = p.padding;
      return `plan: letterbox ${size(p.source)} -> ${size(p.resized)} (scale ${n(p.scale)}), padding left ${pad.left} right ${pad.right} top ${pad.top} bottom ${pad.bottom} (value ${p.padValue}) -> ${size(p.target)}`;
    }
    case 'crop': {
      const { crop: w, padding: pad } = p;
      return `plan: crop ${size(p.source)} -> ${size(p.resized)} (scale ${n(p.scale)}), window ${w.width}x${w.height} at (${w.left}, ${w.top}), padding left ${pad.left} right ${pad.right} top ${pad.top} bottom ${pad.bottom} (value ${p.padValue}) -> ${size(p.target)}`;
    }
  }
}

function stepText(s: PreprocessStep): string {
  switch (s.step) {
    case 'decode': return `decode (EXIF orientation, ${s.colour}, alpha ${s.alpha})`;
    case 'resize': return `resize ${s.kernel} ${size(s.from)} -> ${size(s.to)}`;
    case 'crop': return `crop ${s.window.width}x${s.window.height} at (${s.window.left}, ${s.window.top})`;
    case 'pad': return `pad ${s.value}`;
    case 'channels': return `channels ${s.order}`;
    case 'scale': return `scale ${n(s.factor)}`;
    case 'normalize': return `mean [${s.mean.map(n).join(', ')}] std [${s.std.map(n).join(', ')}]`;
    case 'layout': return `layout ${s.layout}`;
    case 'dtype': return `dtype ${s.dtype}`;
  }
}

const statLine = (c: number, s: ChannelStats) => `channel ${c}: min ${n(s.min)} max ${n(s.max)} mean ${n(s.mean)} std ${n(s.std)}`;

export function inspectText(r: PreprocessedImage): string {
  return [
    `model ${r.model} v${r.version}: input ${r.tensor.name} ${r.tensor.dtype} [${r.tensor.shape.join(',')}]`,
    planLine(r.plan),
    `steps: ${r.steps.map(stepText).join(' -> ')}`,
    ...r.tensor.channels.map((s, c) => statLine(c, s)),
  ].join('\n') + '\n';
}

export function compareText(file: string, dtype: string, c: Comparison): string {
  return [
    `compare ${file} (${dtype}):`,
    ...c.channels.map((d, i) => `  channel ${i}: max abs diff ${n(d.maxAbs)}, mean abs diff ${n(d.meanAbs)}`),
    ...c.verdicts.map((v) => `  verdict: ${v}`),
  ].join('\n') + '\n';
}
