"""Random vertex colours ("appearance"), mostly independent of the parts.

Real assets are sometimes uniformly coloured, sometimes patterned, and sometimes their
materials follow the parts (clothes, armour, painted robot links), so the model must not
rely on colour edges to find parts: styles below mix all three cases.
"""

from __future__ import annotations

import colorsys

import numpy as np


def _palette(rng: np.random.Generator, n: int) -> np.ndarray:
    """n harmonious-ish RGB colours in [0,1]: one base hue with jittered neighbours."""
    h0 = rng.random()
    hs = (h0 + rng.normal(0, 0.12, n) + rng.choice([0, 0.5], n, p=[0.75, 0.25])) % 1.0
    ss = np.clip(rng.normal(0.5, 0.25, n), 0.05, 1)
    vs = np.clip(rng.normal(0.65, 0.2, n), 0.15, 1)
    return np.array([colorsys.hsv_to_rgb(h, s, v) for h, s, v in zip(hs, ss, vs)])


STYLES = ("uniform", "gradient", "stripes", "spots", "two_tone", "per_part", "per_shell")


def vertex_colors(rng: np.random.Generator, verts: np.ndarray, vertex_part: np.ndarray,
                  shell_ids: np.ndarray, style: str | None = None) -> tuple[np.ndarray, str]:
    """(N,3) float32 colours in [0,1] for rest vertices (N,3) in the unit cube, and the
    style used. vertex_part/shell_ids (N,) int drive the part-correlated styles."""
    style = style or rng.choice(STYLES, p=[0.2, 0.15, 0.12, 0.12, 0.13, 0.18, 0.1])
    pal = _palette(rng, 4)
    n = len(verts)
    if style == "uniform":
        c = np.broadcast_to(pal[0], (n, 3)).copy()
    elif style == "gradient":
        d = rng.normal(size=3)
        t = verts @ (d / np.linalg.norm(d))
        t = (t - t.min()) / max(np.ptp(t), 1e-9)
        c = pal[0] * (1 - t[:, None]) + pal[1] * t[:, None]
    elif style == "stripes":
        d = rng.normal(size=3)
        t = np.sin(verts @ d * rng.uniform(10, 40) + rng.uniform(0, 6.3)) > rng.uniform(-0.5, 0.5)
        c = np.where(t[:, None], pal[0], pal[1])
    elif style == "spots":
        centres = rng.uniform(-0.5, 0.5, (24, 3))
        dist = np.sqrt(((verts[:, None] - centres[None]) ** 2).sum(-1)).min(1)
        c = np.where((dist < rng.uniform(0.04, 0.12))[:, None], pal[1], pal[0])
    elif style == "two_tone":  # darker back, lighter belly
        t = np.clip((verts[:, 2] - verts[:, 2].mean()) / 0.3 + 0.5, 0, 1)
        c = pal[0] * t[:, None] + pal[1] * (1 - t[:, None])
    elif style == "per_part":
        k = int(vertex_part.max()) + 1
        pp = _palette(rng, k) if rng.random() < 0.5 else pal[rng.integers(0, 4, k)]
        c = pp[vertex_part]
    else:  # per_shell: separate pieces (eyes, armour) in their own material
        k = int(shell_ids.max()) + 1
        c = _palette(rng, k)[shell_ids]
        c[shell_ids == np.bincount(shell_ids).argmax()] = pal[0]
    c = c + rng.normal(0, rng.uniform(0.0, 0.04), c.shape)  # per-vertex grain
    return np.clip(c, 0, 1).astype(np.float32), str(style)
