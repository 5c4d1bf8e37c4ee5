"""Signed-distance primitives and explicit primitive meshes for procedural objects.

Every SDF takes coordinates as three arrays ``x, y, z`` that broadcast together (a
sub-grid is passed as (nx,1,1), (1,ny,1), (1,1,nz) so no (n,3) point array is built) and
returns the signed distance (negative inside) in the same units, broadcast shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def bone_frame(head: np.ndarray, tail: np.ndarray) -> np.ndarray:
    """(3, 3) orthonormal frame whose columns are (x, y, z) with y along head->tail
    (Blender's bone axis convention, roll 0: x is horizontal when possible)."""
    y = np.asarray(tail, float) - np.asarray(head, float)
    y = y / max(np.linalg.norm(y), 1e-12)
    up = np.array([0.0, 0.0, 1.0]) if abs(y[2]) < 0.95 else np.array([1.0, 0.0, 0.0])
    x = np.cross(y, up)
    x /= np.linalg.norm(x)
    z = np.cross(x, y)
    return np.stack([x, y, z], axis=1)


@dataclass
class Prim:
    """One primitive attached to a bone.

    kind:   'capsule' (tapered, a->b, radii ra, rb), 'ellipsoid' or 'box' (centre c,
            frame R (3,3) columns = local axes, half-extents s (3,), rounding rr).
    bone:   index of the bone that owns it (its skinning bone).
    """

    kind: str
    bone: int
    a: np.ndarray = None
    b: np.ndarray = None
    ra: float = 0.0
    rb: float = 0.0
    c: np.ndarray = None
    R: np.ndarray = None
    s: np.ndarray = None
    rr: float = 0.0

    def transformed(self, scale: float, offset: np.ndarray) -> "Prim":
        f = lambda p: None if p is None else np.asarray(p, float) * scale + offset
        return Prim(self.kind, self.bone, f(self.a), f(self.b), self.ra * scale, self.rb * scale,
                    f(self.c), self.R, None if self.s is None else self.s * scale, self.rr * scale)

    def aabb(self) -> tuple[np.ndarray, np.ndarray]:
        """(lo (3,), hi (3,)) axis-aligned bounds."""
        if self.kind == "capsule":
            r = max(self.ra, self.rb)
            return np.minimum(self.a, self.b) - r, np.maximum(self.a, self.b) + r
        ext = np.sqrt(((self.R * self.s[None, :]) ** 2).sum(axis=1))
        return self.c - ext, self.c + ext

    def sdf(self, x, y, z):
        """Signed distance at broadcastable coordinate arrays x, y, z."""
        if self.kind == "capsule":
            ba = self.b - self.a
            px, py, pz = x - self.a[0], y - self.a[1], z - self.a[2]
            t = np.clip((px * ba[0] + py * ba[1] + pz * ba[2]) / max(ba @ ba, 1e-12), 0.0, 1.0)
            dx, dy, dz = px - t * ba[0], py - t * ba[1], pz - t * ba[2]
            return np.sqrt(dx * dx + dy * dy + dz * dz) - (self.ra + t * (self.rb - self.ra))
        px, py, pz = x - self.c[0], y - self.c[1], z - self.c[2]
        R = self.R
        lx = px * R[0, 0] + py * R[1, 0] + pz * R[2, 0]
        ly = px * R[0, 1] + py * R[1, 1] + pz * R[2, 1]
        lz = px * R[0, 2] + py * R[1, 2] + pz * R[2, 2]
        s = self.s
        if self.kind == "ellipsoid":
            # Inigo Quilez's bound-corrected ellipsoid distance: cheap and smooth enough
            # for a marching-cubes level set.
            k0 = np.sqrt((lx / s[0]) ** 2 + (ly / s[1]) ** 2 + (lz / s[2]) ** 2)
            k1 = np.sqrt((lx / s[0] ** 2) ** 2 + (ly / s[1] ** 2) ** 2 + (lz / s[2] ** 2) ** 2)
            return k0 * (k0 - 1.0) / np.maximum(k1, 1e-12)
        # rounded box
        rr = min(self.rr, float(s.min()) * 0.9)
        qx, qy, qz = np.abs(lx) - (s[0] - rr), np.abs(ly) - (s[1] - rr), np.abs(lz) - (s[2] - rr)
        out = np.sqrt(np.maximum(qx, 0) ** 2 + np.maximum(qy, 0) ** 2 + np.maximum(qz, 0) ** 2)
        return out + np.minimum(np.maximum(np.maximum(qx, qy), qz), 0.0) - rr


# ---------------------------------------------------------------- explicit meshes

def uv_sphere(n_lat: int = 8, n_lon: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Unit sphere: (V, 3) vertices, (F, 3) faces, closed (poles shared)."""
    th = np.linspace(0, np.pi, n_lat + 1)[1:-1]
    ph = np.linspace(0, 2 * np.pi, n_lon, endpoint=False)
    st, ct = np.sin(th)[:, None], np.cos(th)[:, None]
    ring = np.stack([st * np.cos(ph), st * np.sin(ph), np.broadcast_to(ct, (len(th), n_lon))], -1)
    v = np.concatenate([[[0, 0, 1.0]], ring.reshape(-1, 3), [[0, 0, -1.0]]])
    r = np.arange(len(th))[:, None] * n_lon + np.arange(n_lon)[None, :] + 1  # ring vertex ids
    nxt = np.roll(r, -1, axis=1)
    top = np.stack([np.zeros(n_lon, int), r[0], nxt[0]], 1)
    bot = np.stack([np.full(n_lon, len(v) - 1), nxt[-1], r[-1]], 1)
    q0, q1, q2, q3 = r[:-1], nxt[:-1], nxt[1:], r[1:]
    mid = np.concatenate([np.stack([q0, q3, q2], -1).reshape(-1, 3), np.stack([q0, q2, q1], -1).reshape(-1, 3)])
    return v, np.concatenate([top, mid, bot]).astype(np.int64)


def unit_box(n: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Cube [-1, 1]^3 with each face split into n x n quads (welded): (V,3), (F,3)."""
    g = np.linspace(-1, 1, n + 1)
    u, v = np.meshgrid(g, g, indexing="ij")
    u, v = u.ravel(), v.ravel()
    idx = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
    q = np.stack([idx[:-1, :-1], idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]], -1).reshape(-1, 4)
    tri = np.concatenate([q[:, [0, 1, 2]], q[:, [0, 2, 3]]])
    verts, faces = [], []
    one = np.ones_like(u)
    for axis in range(3):
        for sgn in (-1.0, 1.0):
            p = np.zeros((len(u), 3))
            p[:, axis] = sgn * one
            p[:, (axis + 1) % 3] = u
            p[:, (axis + 2) % 3] = v
            f = tri if sgn > 0 else tri[:, ::-1]
            faces.append(f + sum(len(x) for x in verts))
            verts.append(p)
    v_all, f_all = np.concatenate(verts), np.concatenate(faces)
    # weld the shared cube edges so each box is one closed shell
    _, first, inv = np.unique(np.round(v_all, 6), axis=0, return_index=True, return_inverse=True)
    return v_all[first], inv.reshape(-1)[f_all].astype(np.int64)


def cylinder(n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Closed cylinder of radius 1 along y in [-1, 1]: (V,3), (F,3)."""
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.stack([np.cos(a), np.zeros(n), np.sin(a)], 1)
    v = np.concatenate([ring + [0, -1, 0], ring + [0, 1, 0], [[0, -1, 0], [0, 1, 0]]])
    i = np.arange(n)
    j = (i + 1) % n
    side = np.concatenate([np.stack([i, j, j + n], 1), np.stack([i, j + n, i + n], 1)])
    caps = np.concatenate([np.stack([np.full(n, 2 * n), j, i], 1), np.stack([np.full(n, 2 * n + 1), i + n, j + n], 1)])
    return v, np.concatenate([side, caps]).astype(np.int64)


_SPHERE = uv_sphere(10, 16)
_BOX = unit_box(2)
_CYL = cylinder(16)


def prim_mesh(p: Prim) -> tuple[np.ndarray, np.ndarray]:
    """Explicit closed mesh of a primitive (hard-surface objects, separate shells)."""
    if p.kind == "capsule":
        # a cylinder between the end points (mechanical look) with the mean radius
        R = _frame_from_y(p.b - p.a)
        half = 0.5 * np.linalg.norm(p.b - p.a)
        r = 0.5 * (p.ra + p.rb)
        v, f = _CYL
        loc = v * np.array([r, half, r])
        return loc @ R.T + 0.5 * (p.a + p.b), f
    v, f = _SPHERE if p.kind == "ellipsoid" else _BOX
    return (v * p.s) @ p.R.T + p.c, f


def _frame_from_y(d: np.ndarray) -> np.ndarray:
    return bone_frame(np.zeros(3), d)
