"""Builder of procedural rigged objects: bones + primitives -> mesh + skinning weights.

Two surface modes, picked per category:

- ``implicit`` (organic): a smooth union of the primitives' signed distances, as a
  log-sum-exp soft minimum ``f = -k log sum_i exp(-d_i / k)`` accumulated primitive by
  primitive over only its bounding sub-grid (so cost is proportional to the primitives'
  volume, not grid x primitives), meshed with scikit-image marching cubes. One closed
  shell, smooth blends at joints like a sculpted character.
- ``parts`` (hard surface): every primitive is its own closed explicit mesh (boxes,
  cylinders, spheres), interpenetrating, as in low-poly robots and props.

Skinning: soft-min over the primitives' distances per bone (``w_b ~ exp(-d_b / k_w)``,
top 4), so weights blend over joint regions like artist weights; hard-surface objects
and accessory shells (eyes, armour) are weighted rigidly to one bone.
"""

from __future__ import annotations

import numpy as np
from skimage.measure import marching_cubes

from .primitives import Prim, bone_frame, prim_mesh, uv_sphere


class Builder:
    """Accumulates bones, primitives and accessory shells in template space (any scale)."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.names: list[str] = []
        self.heads: list[np.ndarray] = []
        self.tails: list[np.ndarray] = []
        self.parents: list[int] = []
        self.pose_std: list[float] = []   # radians, std of random rotation at this joint
        self.prims: list[Prim] = []
        self.shells: list[Prim] = []     # explicit separate meshes (eyes, armour, props)

    # ------------------------------------------------------------ bones
    def bone(self, name: str, head, tail, parent: int = -1, pose_std: float = 0.35) -> int:
        name = self._unique(name)
        self.names.append(name)
        self.heads.append(np.asarray(head, float))
        self.tails.append(np.asarray(tail, float))
        self.parents.append(int(parent))
        self.pose_std.append(float(pose_std))
        return len(self.names) - 1

    def _unique(self, name: str) -> str:
        if name not in self.names:
            return name
        i = 1
        while f"{name}.{i:03d}" in self.names:
            i += 1
        return f"{name}.{i:03d}"

    def chain(self, name: str, points, radii, parent: int = -1, pose_std: float = 0.35,
              shape: str = "capsule", flat: float = 1.0, suffix: str = "") -> list[int]:
        """Bones along ``points`` (k+1, 3) with radii (k+1,); one primitive per bone.

        shape: 'capsule' | 'ellipsoid' | 'box'; flat scales the z (second cross) axis
        (fins, wings, blades)."""
        points = np.asarray(points, float)
        radii = np.broadcast_to(np.asarray(radii, float), (len(points),))
        ids = []
        for i in range(len(points) - 1):
            nm = f"{name}{i + 1 if len(points) > 2 else ''}{suffix}" if len(points) > 2 else f"{name}{suffix}"
            b = self.bone(nm, points[i], points[i + 1], parent, pose_std)
            self.add_shape(b, shape, radii[i], radii[i + 1], flat)
            ids.append(b)
            parent = b
        return ids

    # ------------------------------------------------------------ geometry
    def add_shape(self, bone: int, shape: str, ra: float, rb: float | None = None,
                  flat: float = 1.0, rr: float = 0.3):
        h, t = self.heads[bone], self.tails[bone]
        rb = ra if rb is None else rb
        if shape == "capsule" and flat == 1.0:
            self.prims.append(Prim("capsule", bone, a=h, b=t, ra=ra, rb=rb))
            return
        R = bone_frame(h, t)
        half = 0.5 * np.linalg.norm(t - h)
        r = 0.5 * (ra + rb)
        kind = "box" if shape == "box" else "ellipsoid"
        along = half + (0 if kind == "box" else 0.35 * r)
        self.prims.append(Prim(kind, bone, c=0.5 * (h + t), R=R, s=np.array([r, along, r * flat]),
                               rr=rr * r))

    def blob(self, bone: int, center, radii, kind: str = "ellipsoid", R=None, rr: float = 0.0,
             separate: bool = False):
        """Ellipsoid/box at ``center`` with half-extents ``radii`` (x, y, z of frame R,
        default world axes), owned by ``bone``; separate=True makes it its own shell."""
        p = Prim(kind, bone, c=np.asarray(center, float), R=np.eye(3) if R is None else np.asarray(R, float),
                 s=np.asarray(radii, float), rr=rr)
        (self.shells if separate else self.prims).append(p)

    def capsule(self, bone: int, a, b, ra: float, rb: float | None = None):
        self.prims.append(Prim("capsule", bone, a=np.asarray(a, float), b=np.asarray(b, float),
                               ra=ra, rb=ra if rb is None else rb))

    # ------------------------------------------------------------ normalisation
    def normalise(self) -> float:
        """Scale/translate everything so the geometry's bounding box is centred at the
        origin with its longest side 0.9 (leaves room for posing inside the unit cube).
        Returns the scale factor applied."""
        boxes = [p.aabb() for p in self.prims + self.shells]
        lo = np.min([b[0] for b in boxes], axis=0)
        hi = np.max([b[1] for b in boxes], axis=0)
        s = 0.9 / max(float((hi - lo).max()), 1e-9)
        off = -0.5 * (lo + hi) * s
        self.heads = [h * s + off for h in self.heads]
        self.tails = [t * s + off for t in self.tails]
        self.prims = [p.transformed(s, off) for p in self.prims]
        self.shells = [p.transformed(s, off) for p in self.shells]
        return s


def mesh_implicit(prims: list[Prim], res: int, k: float, rng: np.random.Generator,
                  detail: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Smooth union of primitives -> (vertices (N,3) float64, faces (F,3) int64).

    res: voxels along the longest side of the bounds (unit-cube scale ~ 1/res detail);
    k: blend radius (same units as the primitives); detail: amplitude of random
    sinusoidal surface relief, in voxels (scales, wrinkles)."""
    boxes = [p.aabb() for p in prims]
    lo = np.min([b[0] for b in boxes], axis=0)
    hi = np.max([b[1] for b in boxes], axis=0)
    h = float((hi - lo).max()) / res
    pad = 2 * h
    lo, hi = lo - pad, hi + pad
    shape = np.ceil((hi - lo) / h).astype(int) + 1
    axes = [lo[i] + h * np.arange(shape[i]) for i in range(3)]
    # S = sum_i exp(-d_i / k); starts at exp(-big) so log is finite far from everything
    S = np.full(shape, np.exp(-8.0), dtype=np.float64)
    margin = 4.0 * k + h
    for p, (plo, phi) in zip(prims, boxes):
        i0 = np.clip(np.floor((plo - margin - lo) / h).astype(int), 0, shape - 1)
        i1 = np.clip(np.ceil((phi + margin - lo) / h).astype(int) + 1, 1, shape)
        x = axes[0][i0[0]:i1[0], None, None]
        y = axes[1][None, i0[1]:i1[1], None]
        z = axes[2][None, None, i0[2]:i1[2]]
        d = p.sdf(x, y, z)
        S[i0[0]:i1[0], i0[1]:i1[1], i0[2]:i1[2]] += np.exp(-np.minimum(d, 8 * k) / k)
    field = -k * np.log(S)
    if detail > 0:
        for _ in range(2):
            f = rng.normal(size=3) * rng.uniform(15, 45)
            ph = rng.uniform(0, 2 * np.pi)
            field += detail * h * np.sin(axes[0][:, None, None] * f[0] + axes[1][None, :, None] * f[1]
                                         + axes[2][None, None, :] * f[2] + ph)
    verts, faces, _, _ = marching_cubes(field.astype(np.float32), level=0.0, spacing=(h, h, h),
                                        allow_degenerate=False)
    # marching cubes orients faces towards increasing field (outwards here) already
    return verts.astype(np.float64) + lo, faces.astype(np.int64)


def mesh_parts(prims: list[Prim]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each primitive as its own closed mesh: (vertices, faces, owning bone per vertex)."""
    vs, fs, bs, n = [], [], [], 0
    for p in prims:
        v, f = prim_mesh(p)
        vs.append(v)
        fs.append(f + n)
        bs.append(np.full(len(v), p.bone))
        n += len(v)
    return np.concatenate(vs), np.concatenate(fs), np.concatenate(bs)


def soft_weights(verts: np.ndarray, prims: list[Prim], n_bones: int, kw: float,
                 max_influences: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Skinning weights from distances to each bone's primitives.

    verts (N,3); kw: blend distance (units of verts): a vertex ``kw`` closer to bone a
    than to bone b has e times more weight on a. Returns (indices (N,K) int64, weights
    (N,K) float32, rows sum to 1, unused slots index -1 weight 0)."""
    n = len(verts)
    logits = np.full((n, n_bones), -np.inf)
    x, y, z = verts[:, 0], verts[:, 1], verts[:, 2]
    for p in prims:
        logits[:, p.bone] = np.maximum(logits[:, p.bone], -p.sdf(x, y, z) / kw)
    k = min(max_influences, n_bones)
    idx = np.argpartition(-logits, k - 1, axis=1)[:, :k]
    lg = np.take_along_axis(logits, idx, axis=1)
    order = np.argsort(-lg, axis=1)
    idx, lg = np.take_along_axis(idx, order, 1), np.take_along_axis(lg, order, 1)
    w = np.exp(lg - lg[:, :1])
    w[w < 1e-3] = 0.0  # drop negligible influences, like an artist's clean-up
    w /= w.sum(axis=1, keepdims=True)
    idx = np.where(w > 0, idx, -1)
    return idx.astype(np.int64), w.astype(np.float32)


def eye_shells(b: Builder, head_bone: int, center, radius: float, spacing: float,
               forward=(0, -1, 0)) -> None:
    """Two eyeball shells (separate meshes) on the head, rigid to the head bone."""
    fwd = np.asarray(forward, float)
    side = np.array([1.0, 0, 0]) if abs(fwd[0]) < 0.9 else np.array([0, 1.0, 0])
    for s in (-1, 1):
        b.blob(head_bone, np.asarray(center) + s * spacing * side, [radius] * 3, separate=True)


SPHERE_LOWPOLY = uv_sphere(8, 12)
