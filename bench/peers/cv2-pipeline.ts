/**
 * @module bench/peers/cv2-pipeline
 * Runs bench/peers/cv2_pipeline.py (cv2.imdecode + LetterBox + normalise, single-threaded) on
 * the given images for about `seconds`, and returns what it measured. Undefined when no Python
 * with cv2 is installed, so the caller can skip the peer.
 */
import { findCv2Python } from '../../test/helpers/cv2-reference.js';
import { runPeerScript } from './run-python.js';

export interface PeerRun {
  readonly images: number;
  readonly wallS: number;
  /** Process CPU time: the script is single-threaded, so images / cpuS is images per core. */
  readonly cpuS: number;
  readonly cv2: string;
}

export type Cv2Peer = (images: readonly string[], seconds: number) => Promise<PeerRun>;

/** A runner bound to the Python that has cv2, or undefined when there is none. */
export function cv2Peer(): Cv2Peer | undefined {
  if (!findCv2Python()) return undefined;
  return async (images, seconds) => {
    const r = await runPeerScript<{ images: number; wall_s: number; cpu_s: number; cv2: string }>('cv2_pipeline.py', [String(seconds), ...images], (seconds + 60) * 1000);
    return { images: r.images, wallS: r.wall_s, cpuS: r.cpu_s, cv2: r.cv2 };
  };
}
