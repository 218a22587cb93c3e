#!/usr/bin/env python3
"""The Python way, for the pipeline.null_engine comparison (bench/suites/pipeline-null-engine.ts).

Per image, as Ultralytics' predictor does it: cv2.imdecode (BGR) -> LetterBox(640) (the same
letterbox as test/helpers/cv2_reference.py) -> BGR to RGB, HWC to CHW, contiguous, float32 / 255.
Single-threaded (cv2.setNumThreads(1)), so images per CPU-second is images per core.
Encoded bytes are read into memory first: file I/O is not part of the figure.

  cv2_pipeline.py SECONDS IMAGE...
Prints one JSON line: {"images", "wall_s", "cpu_s", "cv2"}.
"""
import json
import os
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "helpers"))
from cv2_reference import letterbox  # noqa: E402  (the one Ultralytics LetterBox in the repo)


def preprocess(data):
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    img, _, _ = letterbox(img, 640)
    chw = np.ascontiguousarray(img[..., ::-1].transpose(2, 0, 1))
    return chw.astype(np.float32) / 255.0


def main():
    cv2.setNumThreads(1)
    seconds = float(sys.argv[1])
    blobs = []
    for path in sys.argv[2:]:
        with open(path, "rb") as f:
            blobs.append(np.frombuffer(f.read(), dtype=np.uint8))
    for data in blobs[:4]:
        preprocess(data)  # warm-up: first calls allocate
    n = 0
    w0, c0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - w0 < seconds:
        preprocess(blobs[n % len(blobs)])
        n += 1
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(json.dumps({"images": n, "wall_s": wall, "cpu_s": cpu, "cv2": cv2.__version__}))


if __name__ == "__main__":
    main()
