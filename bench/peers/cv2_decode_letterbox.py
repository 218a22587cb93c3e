#!/usr/bin/env python3
"""The Python peer of `image.decode_letterbox.*`: cv2.imdecode + Ultralytics LetterBox (the
same letterbox as test/helpers/cv2_reference.py, imported from there) on one JPEG, timed here.

  cv2_decode_letterbox.py IMAGE N [SIZE]
Prints one JSON line: {"decode_ms": [...], "decode_letterbox_ms": [...], "threads": n,
"decode_letterbox_cpu_ms": CPU time of this process per decode + LetterBox (all its threads)}.
"""
import json
import os
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "helpers"))
from cv2_reference import letterbox  # noqa: E402


def timed(fn, n):
    for _ in range(min(10, n)):
        fn()
    samples = []
    cpu0 = time.process_time()
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples, (time.process_time() - cpu0) * 1000 / n


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 640
    with open(path, "rb") as f:
        buf = np.frombuffer(f.read(), np.uint8)
    decode = lambda: cv2.imdecode(buf, cv2.IMREAD_COLOR)  # noqa: E731
    both = lambda: letterbox(decode(), size)  # noqa: E731
    decode_ms, _ = timed(decode, n)
    both_ms, both_cpu = timed(both, n)
    out = {"decode_ms": decode_ms, "decode_letterbox_ms": both_ms, "decode_letterbox_cpu_ms": both_cpu, "threads": cv2.getNumThreads()}
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
