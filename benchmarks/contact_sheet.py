"""Contact sheet of procedural samples: RGB (frame 0 and last frame) + part colours.

    .venv/bin/python benchmarks/contact_sheet.py [--out docs/images/synth_contact_sheet.png]
Two objects per category, each one row tile: view 0 RGB | view 3 RGB (last frame) |
view 0 parts | view 3 parts.
"""

import argparse
import os

import cv2
import numpy as np

from engine.render import orbit_cameras, render_batch
from engine.synth import CATEGORIES, generate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="docs/images/synth_contact_sheet.png")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--per-category", type=int, default=2)
    a = ap.parse_args()
    tiles = []
    for ci, cat in enumerate(sorted(CATEGORIES)):
        for k in range(a.per_category):
            o = generate(1000 * ci + k, cat, n_frames=3)
            cams = orbit_cameras(12, elevation_deg=15, image_size=a.size, azimuth_start_deg=-30)
            out = render_batch([o], cams, "cpu", light_dirs=np.array([[0.5, -0.7, 0.8]]))
            rgb = out["rgb"][0].permute(0, 1, 3, 4, 2).numpy()
            pc = out["part_colors"][0].permute(0, 1, 3, 4, 2).numpy()
            row = np.concatenate([rgb[0, 0], rgb[3, -1], pc[0, 0], pc[3, -1]], 1)
            img = (row * 255).astype(np.uint8)[..., ::-1].copy()
            cv2.putText(img, f"{cat} P={o.n_parts} F={len(o.faces)}", (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                        (0, 0, 255), 1, cv2.LINE_AA)
            tiles.append(img)
    cols = 2
    while len(tiles) % cols:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.concatenate(tiles[i:i + cols], 1) for i in range(0, len(tiles), cols)]
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    cv2.imwrite(a.out, np.concatenate(rows, 0), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(a.out, os.path.getsize(a.out) // 1024, "KiB")


if __name__ == "__main__":
    main()
