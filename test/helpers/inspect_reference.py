#!/usr/bin/env python3
"""Model-input tensors as a training pipeline saves them, for `detectfn inspect --compare` tests.

The Ultralytics way: cv2.imread -> LetterBox (cv2_reference.letterbox) -> BGR to RGB -> /255 ->
CHW -> [1,3,H,W] float32 -> np.save. Plus the classic mistakes, one file each:
  ok.npy     the correct tensor
  fp16.npy   the correct tensor as float16 CHW (no batch dimension)
  no255.npy  the /255 left out (0-255)
  bgr.npy    channels left in OpenCV's BGR order
  shift.npy  the image one pixel to the right (letterbox padding left+1, right-1)

  inspect_reference.py OUT_DIR SIZE IMAGE
"""
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cv2_reference import letterbox  # noqa: E402


def main():
    out_dir, size, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    bgr, _, pad = letterbox(cv2.imread(path, cv2.IMREAD_COLOR), size)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    chw = lambda hwc: np.ascontiguousarray(hwc.transpose(2, 0, 1))[None]
    ok = chw(rgb).astype(np.float32) / 255.0
    if pad["left"] < 1 or pad["right"] < 1:
        raise SystemExit("the shift variant needs left and right padding")
    shifted = cv2.copyMakeBorder(rgb[:, pad["left"]:rgb.shape[1] - pad["right"]], 0, 0, pad["left"] + 1, pad["right"] - 1,
                                 cv2.BORDER_CONSTANT, value=(114, 114, 114))
    np.save(os.path.join(out_dir, "ok.npy"), ok)
    np.save(os.path.join(out_dir, "fp16.npy"), ok[0].astype(np.float16))
    np.save(os.path.join(out_dir, "no255.npy"), chw(rgb).astype(np.float32))
    np.save(os.path.join(out_dir, "bgr.npy"), chw(bgr).astype(np.float32) / 255.0)
    np.save(os.path.join(out_dir, "shift.npy"), chw(shifted).astype(np.float32) / 255.0)


if __name__ == "__main__":
    main()
