#!/usr/bin/env python3
"""Reference preprocessing with OpenCV, for cross-checks only (never a runtime dependency).

Follows Ultralytics: cv2.imread (EXIF-oriented, BGR) -> LetterBox(640, centred, scaleup,
pad 114, +-0.1 rounding of the paddings) with cv2.resize INTER_LINEAR -> RGB.

  cv2_reference.py letterbox OUT_DIR SIZE IMAGE...   writes OUT_DIR/<i>.rgb (HWC uint8)
  cv2_reference.py decode OUT_DIR IMAGE...           writes full-size RGB decodes
Prints one JSON line per image: {"image", "file", "source", "resized", "pad"}.
"""
import json
import os
import sys

import cv2


def letterbox(img, size):
    h, w = img.shape[:2]
    r = min(size / h, size / w)
    new_w, new_h = int(round(w * r)), int(round(h * r))
    dw, dh = (size - new_w) / 2, (size - new_h) / 2
    if (w, h) != (new_w, new_h):
        img = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    pad = {"left": left, "top": top, "right": right, "bottom": bottom}
    return img, {"width": new_w, "height": new_h}, pad


def main():
    mode, out_dir = sys.argv[1], sys.argv[2]
    size = int(sys.argv[3]) if mode == "letterbox" else 0
    images = sys.argv[4:] if mode == "letterbox" else sys.argv[3:]
    for i, path in enumerate(images):
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise SystemExit(f"cv2 could not read {path}")
        source = {"width": img.shape[1], "height": img.shape[0]}
        row = {"image": path, "source": source}
        if mode == "letterbox":
            img, row["resized"], row["pad"] = letterbox(img, size)
        out = os.path.join(out_dir, f"{i}.rgb")
        with open(out, "wb") as f:
            f.write(cv2.cvtColor(img, cv2.COLOR_BGR2RGB).tobytes())
        row["file"] = out
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
