/**
 * @module core/preprocess/describe
 * A plain, ordered description of what a model's preprocessing does to one image: the geometry
 * (`plan`, a discriminated union on `kind` so other geometries such as a centre crop slot in)
 * and the steps in the order they run. It is what the inspector reports, so every choice the
 * manifest makes (kernel, pad value, channel order, scale, mean/std, layout, dtype) is visible.
 */
import type { CropPlan, CropWindow } from '../crop/index.js';
import type { LetterboxPlan, Padding } from '../letterbox/index.js';
import type { Size } from '../types.js';

/** Letterbox: resize by `scale` keeping the aspect ratio, then pad to `target`. */
export interface LetterboxPlanView {
  readonly kind: 'letterbox';
  readonly source: Size;
  readonly scale: number;
  readonly resized: Size;
  readonly padding: Padding;
  readonly padValue: number;
  readonly target: Size;
}

/** Centre crop (classifiers): resize by `scale`, take the `crop` window, pad it to `target` where the image is smaller. */
export interface CropPlanView {
  readonly kind: 'crop';
  readonly source: Size;
  readonly scale: number;
  readonly resized: Size;
  readonly crop: CropWindow;
  readonly padding: Padding;
  readonly padValue: number;
  readonly target: Size;
}

/** Every geometry the inspector can describe; a new kind joins this union. */
export type PlanView = LetterboxPlanView | CropPlanView;

export type PreprocessStep =
  | { readonly step: 'decode'; readonly orientation: 'exif'; readonly colour: 'sRGB 8-bit, ICC ignored'; readonly alpha: 'flattened onto the pad value' }
  | { readonly step: 'resize'; readonly kernel: string; readonly from: Size; readonly to: Size }
  | { readonly step: 'crop'; readonly window: CropWindow }
  | { readonly step: 'pad'; readonly value: number; readonly padding: Padding }
  | { readonly step: 'channels'; readonly order: 'rgb' | 'bgr' }
  | { readonly step: 'scale'; readonly factor: number }
  | { readonly step: 'normalize'; readonly mean: readonly number[]; readonly std: readonly number[] }
  | { readonly step: 'layout'; readonly layout: 'NCHW' }
  | { readonly step: 'dtype'; readonly dtype: 'float32' | 'float16' };

/** The manifest's pixel settings, as the engine's normalizer gets them. */
export interface PixelSpec {
  /** How the decoder resamples (e.g. 'cv2-linear'). */
  readonly kernel: string;
  readonly channelOrder: 'rgb' | 'bgr';
  readonly scale: number;
  readonly mean?: readonly number[] | undefined;
  readonly std?: readonly number[] | undefined;
  readonly dtype: 'float32' | 'float16';
}

export function letterboxView(plan: LetterboxPlan): LetterboxPlanView {
  return { kind: 'letterbox', source: plan.source, scale: plan.scale, resized: plan.resized, padding: plan.pad, padValue: plan.padValue, target: plan.target };
}

export function cropView(plan: CropPlan): CropPlanView {
  return { kind: 'crop', source: plan.source, scale: plan.scale, resized: plan.resized, crop: plan.crop, padding: plan.pad, padValue: plan.padValue, target: plan.target };
}

/** The view of either plan a decoder executes. */
export function planView(plan: LetterboxPlan | CropPlan): PlanView {
  return 'kind' in plan && plan.kind === 'crop' ? cropView(plan) : letterboxView(plan as LetterboxPlan);
}

/** What the geometry does, per kind (a new kind adds its case here). */
function geometrySteps(plan: PlanView, kernel: string): PreprocessStep[] {
  switch (plan.kind) {
    case 'letterbox':
      return [{ step: 'resize', kernel, from: plan.source, to: plan.resized }, { step: 'pad', value: plan.padValue, padding: plan.padding }];
    case 'crop': {
      const { left, right, top, bottom } = plan.padding;
      const padded = left + right + top + bottom > 0 ? [{ step: 'pad' as const, value: plan.padValue, padding: plan.padding }] : [];
      return [{ step: 'resize', kernel, from: plan.source, to: plan.resized }, { step: 'crop', window: plan.crop }, ...padded];
    }
  }
}

/** The steps in the order they run; mean/std only when the manifest sets them. */
export function describeSteps(plan: PlanView, spec: PixelSpec): PreprocessStep[] {
  const steps: PreprocessStep[] = [
    { step: 'decode', orientation: 'exif', colour: 'sRGB 8-bit, ICC ignored', alpha: 'flattened onto the pad value' },
    ...geometrySteps(plan, spec.kernel),
    { step: 'channels', order: spec.channelOrder },
    { step: 'scale', factor: spec.scale },
  ];
  if (spec.mean || spec.std) steps.push({ step: 'normalize', mean: spec.mean ?? [0, 0, 0], std: spec.std ?? [1, 1, 1] });
  steps.push({ step: 'layout', layout: 'NCHW' }, { step: 'dtype', dtype: spec.dtype });
  return steps;
}
