"""Training data: on-the-fly torch dataset and the on-disk sample format.

Sample format (``save_sample``): ``<name>.npz`` holding uint8 images (V,T,H,W,C) — rgb,
normals ((n+1)/2), alpha, part_colors — int16 part_ids (-1 background), float16 depth,
the cameras as JSON, the mesh (rest vertices, faces, per-frame positions) and the
ground-truth rig (bone names, heads, tails, parents, top-4 weights, vertex parts, part
colours); plus ``<name>.png``: frame-0 RGB over part colours for all views.
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch

from ..render import Cameras, random_cameras, render_batch
from .generator import generate


class SynthDataset(torch.utils.data.IterableDataset):
    """Endless stream of rendered procedural samples (CPU; for the GPU path build a pool
    of ``generate`` objects and call ``render_batch(pool_slice, cameras, 'cuda')``).

    Each item: dict of float tensors (V,T,C,H,W) from ``render_batch`` plus
    ``part_count`` and ``seed``. Seeds are ``base_seed + k * num_workers + worker_id``
    so workers never repeat each other.
    """

    def __init__(self, base_seed: int = 0, n_views: int = 12, n_frames: int = 4, image_size: int = 128,
                 categories: list[str] | None = None, length: int | None = None):
        self.base_seed, self.n_views, self.n_frames = base_seed, n_views, n_frames
        self.image_size, self.categories, self.length = image_size, categories, length

    def sample(self, seed: int) -> dict:
        rng = np.random.default_rng([seed, 11])
        cat = None if not self.categories else self.categories[int(rng.integers(len(self.categories)))]
        obj = generate(seed, cat, self.n_frames)
        cams = random_cameras(rng, self.n_views, self.image_size)
        light = rng.normal(size=3) + np.array([0, -1.0, 1.0])
        out = render_batch([obj], cams, "cpu", light_dirs=light[None], ambient=float(rng.uniform(0.2, 0.5)),
                           background=float(rng.choice([1.0, 0.5, 0.0])))
        item = {k: v[0] for k, v in out.items()}
        item["azimuth_deg"] = torch.as_tensor(cams.azimuth_deg, dtype=torch.float32)
        item["elevation_deg"] = torch.as_tensor(cams.elevation_deg, dtype=torch.float32)
        item["part_count"] = torch.tensor(obj.n_parts)
        item["seed"] = torch.tensor(seed)
        return item

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid, nw = (info.id, info.num_workers) if info else (0, 1)
        k = 0
        while self.length is None or k * nw + wid < self.length:
            yield self.sample(self.base_seed + k * nw + wid)
            k += 1


def _u8(x: torch.Tensor) -> np.ndarray:
    """(V,T,C,H,W) float [0,1] -> (V,T,H,W,C) uint8."""
    return (x.clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(0, 1, 3, 4, 2).cpu().numpy()


def save_sample(path_stem: str, obj, cameras: Cameras, rendered: dict, preview: bool = True) -> str:
    """Write one sample (see module docstring). rendered: render_batch output for this
    object with the batch dim removed, (V,T,C,H,W). Returns the npz path."""
    sk, w = obj.skeleton, obj.weights
    np.savez_compressed(
        path_stem + ".npz",
        rgb=_u8(rendered["rgb"]), normals=_u8(rendered["normals"] * 0.5 + 0.5),
        alpha=_u8(rendered["alpha"])[..., 0], part_colors=_u8(rendered["part_colors"]),
        part_ids=rendered["part_ids"][:, :, 0].cpu().numpy().astype(np.int16),
        depth=rendered["depth"][:, :, 0].cpu().numpy().astype(np.float16),
        cameras=json.dumps(cameras.to_dict()), category=obj.category, seed=obj.seed,
        vertices=obj.vertices, faces=obj.faces.astype(np.int32), frames=obj.frames.astype(np.float16),
        bone_names=np.array(sk.names), heads=sk.heads.astype(np.float32), tails=sk.tails.astype(np.float32),
        parents=sk.parents.astype(np.int16), joint_heads=obj.joint_heads, joint_tails=obj.joint_tails,
        weight_indices=w.indices.astype(np.int16), weights=w.weights.astype(np.float16),
        vertex_part=obj.vertex_part.astype(np.int16), bone_part=obj.bone_part.astype(np.int16),
        part_palette=obj.part_colors)
    if preview:
        import cv2

        rgb = _u8(rendered["rgb"][:, 0:1])[:, 0]           # (V,H,W,3)
        pc = _u8(rendered["part_colors"][:, 0:1])[:, 0]
        img = np.concatenate([np.concatenate(list(rgb), 1), np.concatenate(list(pc), 1)], 0)
        cv2.imwrite(path_stem + ".png", img[..., ::-1])
    return path_stem + ".npz"


def load_sample(path: str) -> dict:
    """Read a sample written by ``save_sample`` into a dict of numpy arrays (cameras as
    a ``Cameras``)."""
    z = np.load(path, allow_pickle=False)
    d = {k: z[k] for k in z.files}
    d["cameras"] = Cameras.from_dict(json.loads(str(d["cameras"])))
    return d


def write_dataset(out_dir: str, count: int, seed: int = 0, n_views: int = 12, n_frames: int = 4,
                  image_size: int = 128, preview: bool = True, progress=None) -> list[str]:
    """Generate, render and save ``count`` samples with seeds seed..seed+count-1."""
    os.makedirs(out_dir, exist_ok=True)
    ds = SynthDataset(seed, n_views, n_frames, image_size)
    paths = []
    for i in range(count):
        s = seed + i
        rng = np.random.default_rng([s, 11])
        obj = generate(s, None, n_frames)
        cams = random_cameras(rng, n_views, image_size)
        out = render_batch([obj], cams, "cpu")
        paths.append(save_sample(os.path.join(out_dir, f"sample_{s:07d}"), obj, cams, {k: v[0] for k, v in out.items()},
                                 preview))
        if progress:
            progress(i + 1, count)
    del ds
    return paths
