/**
 * @module bench/peers/cv2-decode-letterbox
 * Runs bench/peers/cv2_decode_letterbox.py (python3-opencv) as a child: the peer that the
 * `image.decode_letterbox.*.vs_cv2` figures compare against, measured in the same run.
 * Returns undefined with the reason where python3 or cv2 is missing (the figure is skipped).
 */
import { findCv2Python } from '../../test/helpers/cv2-reference.js';
import { CV2_MISSING, runPeerScript } from './run-python.js';

export interface Cv2PeerSamples {
  readonly decodeMs: number[];
  readonly decodeLetterboxMs: number[];
  /** CPU time of the Python process per decode + LetterBox, all threads. */
  readonly decodeLetterboxCpuMs: number;
  /** cv2.getNumThreads(): OpenCV's resize may use them, its decode does not. */
  readonly threads: number;
}

export function cv2PeerMissing(): string | undefined {
  return findCv2Python() ? undefined : CV2_MISSING;
}

/** `n` timed runs of cv2.imdecode and of cv2.imdecode + LetterBox on `image`. */
export async function runCv2Peer(image: string, n: number): Promise<Cv2PeerSamples> {
  const out = await runPeerScript<{ decode_ms: number[]; decode_letterbox_ms: number[]; decode_letterbox_cpu_ms: number; threads: number }>('cv2_decode_letterbox.py', [image, String(n)]);
  return { decodeMs: out.decode_ms, decodeLetterboxMs: out.decode_letterbox_ms, decodeLetterboxCpuMs: out.decode_letterbox_cpu_ms, threads: out.threads };
}
