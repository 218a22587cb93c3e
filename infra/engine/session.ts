/**
 * @module infra/engine/session
 * Creates an ONNX Runtime session, trying execution providers in the caller's order. ORT has
 * no fallback of its own: a missing CUDA library rejects `create`, so we record why and try
 * the next. Runs inside an engine worker (and in the bare-session benchmark): creation blocks
 * the thread it runs on.
 */
import * as ort from 'onnxruntime-node';
import type { ExecutionProvider } from '../../core/ports/index.js';
import type { SkippedProvider, WorkerInit } from './protocol.js';

/** Our provider names to ORT's; CPU is always appended by ORT anyway, naming it keeps it explicit. */
const ORT_PROVIDER: Record<ExecutionProvider, string> = {
  tensorrt: 'tensorrt',
  cuda: 'cuda',
  webgpu: 'webgpu',
  cpu: 'cpu',
};

export type SessionSettings = Omit<WorkerInit, 'modelPath' | 'providers' | 'allowCrashControl' | 'preprocessInGraph'>;

export function sessionOptions(provider: ExecutionProvider, s: SessionSettings): ort.InferenceSession.SessionOptions {
  const spin = s.allowSpinning ? '1' : '0';
  return {
    executionProviders: [ORT_PROVIDER[provider]],
    intraOpNumThreads: s.intraOpThreads,
    interOpNumThreads: s.interOpThreads,
    graphOptimizationLevel: s.graphOptimizationLevel,
    enableCpuMemArena: s.enableMemArena,
    logSeverityLevel: 3,
    // Session config entries (session.intra_op.allow_spinning, session.inter_op.allow_spinning).
    extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
  };
}

export interface CreatedSession {
  readonly session: ort.InferenceSession;
  readonly provider: ExecutionProvider;
  readonly skipped: SkippedProvider[];
}

export class ProviderFallbackError extends Error {
  constructor(readonly skipped: SkippedProvider[]) {
    super(`no execution provider could load the model: ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`);
  }
}

export async function createSessionWithFallback(
  /** A path, or the model's bytes (a graph rewritten in memory). */
  model: string | Uint8Array,
  providers: readonly ExecutionProvider[],
  settings: SessionSettings,
): Promise<CreatedSession> {
  const skipped: SkippedProvider[] = [];
  for (const provider of providers) {
    try {
      const session = await createSession(model, sessionOptions(provider, settings));
      return { session, provider, skipped };
    } catch (err) {
      skipped.push({ provider, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  throw new ProviderFallbackError(skipped);
}

// Two calls, not one with a union: ORT's overloads take a path or a buffer, not either.
const createSession = (model: string | Uint8Array, options: ort.InferenceSession.SessionOptions) =>
  typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
