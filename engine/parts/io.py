"""Writing SP4D part predictions: PNG frames, cameras JSON, per-vertex labels, a sheet."""

from __future__ import annotations

import json
import os

import numpy as np


def _to_u8(img: np.ndarray) -> np.ndarray:
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def contact_sheet(rows: list[np.ndarray], gap: int = 2) -> np.ndarray:
    """Stack R rows of V images each ((V, H, W, 3) float [0, 1]) into one (R*H', V*W', 3)
    image with white gaps: the views side by side, one row per kind of image."""
    r = []
    for imgs in rows:
        v, h, w, _ = imgs.shape
        row = np.ones((h, v * (w + gap) - gap, 3), np.float32)
        for i in range(v):
            row[:, i * (w + gap): i * (w + gap) + w] = imgs[i]
        r.append(row)
    width = max(x.shape[1] for x in r)
    out = np.ones((sum(x.shape[0] for x in r) + gap * (len(r) - 1), width, 3), np.float32)
    y = 0
    for x in r:
        out[y:y + x.shape[0], : x.shape[1]] = x
        y += x.shape[0] + gap
    return out


def parts_sheet(result) -> np.ndarray:
    """(H, W, 3) float sheet of a PartsResult: conditioning renders, generated RGB and
    generated part colours, one view per column."""
    return contact_sheet([result.renders, result.images, result.part_maps])


def write_parts(result, out_dir: str, object_names: list[str], object_ids: np.ndarray) -> list[str]:
    """Write a PartsResult for ``sp4d parts``; returns the written paths.

    Files: ``rgb_vXX.png`` (generated RGB), ``parts_vXX.png`` (generated part colours),
    ``render_vXX.png`` (the mesh renders the model was conditioned on), ``sheet.png``,
    ``cameras.json``, ``labels.npy`` ((N,) int64 per vertex, objects stacked in order) and
    ``labels.json`` (object name -> vertex range in ``labels.npy`` and its part ids).
    """
    import cv2

    os.makedirs(out_dir, exist_ok=True)
    paths = []

    def png(name, img):
        path = os.path.join(out_dir, name)
        if not cv2.imwrite(path, cv2.cvtColor(_to_u8(img), cv2.COLOR_RGB2BGR)):
            raise OSError(f"could not write {path}")
        paths.append(path)

    for v in range(len(result.images)):
        png(f"rgb_v{v:02d}.png", result.images[v])
        png(f"parts_v{v:02d}.png", result.part_maps[v])
        png(f"render_v{v:02d}.png", result.renders[v])
    png("sheet.png", parts_sheet(result))
    cams = os.path.join(out_dir, "cameras.json")
    with open(cams, "w") as f:
        json.dump(_jsonable(result.cameras), f, indent=1)
    paths.append(cams)
    labels = os.path.join(out_dir, "labels.npy")
    np.save(labels, np.asarray(result.labels, np.int64))
    paths.append(labels)
    index, start = {}, 0
    for i, name in enumerate(object_names):
        n = int((object_ids == i).sum())
        index[name] = {"start": start, "stop": start + n,
                       "parts": sorted(int(x) for x in np.unique(result.labels[start:start + n]))}
        start += n
    meta = os.path.join(out_dir, "labels.json")
    with open(meta, "w") as f:
        json.dump({"n_parts": int(result.labels.max()) + 1, "objects": index}, f, indent=1)
    paths.append(meta)
    return paths


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return x
