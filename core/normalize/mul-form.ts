/**
 * @module core/normalize/mul-form
 * Constants for the WASM kernel's faster form y = x*hi + (x*lo + add), which avoids float32
 * division (the kernel's bottleneck). hi keeps 16 significant bits of 1/div so x*hi (x < 256)
 * is exact. The form is only used when it reproduces the reference (x - sub) / div bit for bit
 * for all 256 inputs of every channel, checked here; otherwise the division kernel runs.
 */
import { normalizeValue } from './plan.js';
import type { ChannelMap } from './types.js';

export interface MulForm {
  readonly hi: number;
  readonly lo: number;
  readonly add: number;
}

function mulForm(c: ChannelMap): MulForm {
  const t = 1 / c.div;
  const q = 2 ** (Math.floor(Math.log2(Math.abs(t))) - 15);
  const hi = Math.trunc(t / q) * q;
  return { hi, lo: Math.fround(t - hi), add: Math.fround(-c.sub / c.div) };
}

/** The float32 operations the kernel performs, in JS (exact: see plan.ts on double rounding). */
export function mulFormValue(x: number, m: MulForm): number {
  const f = Math.fround;
  return f(f(x * m.hi) + f(f(x * m.lo) + m.add));
}

/** Per-channel mul-form constants, or undefined when any of the 768 outputs would differ. */
export function exactMulForms(channels: readonly ChannelMap[]): MulForm[] | undefined {
  const forms = channels.map(mulForm);
  for (let c = 0; c < channels.length; c++) {
    for (let x = 0; x < 256; x++) {
      if (!Object.is(mulFormValue(x, forms[c]!), normalizeValue(x, channels[c]!))) return undefined;
    }
  }
  return forms;
}
