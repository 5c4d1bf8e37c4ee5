"""Meshes -> the images SP4D sees: conditioning renders, part-colour targets, part ids.

One code path for training (GPU, thousands of images a second) and for inference on a
user's mesh (``engine.pipelines.parts_for_mesh``), so the model never sees a render
convention it was not trained on.

Image conventions (all channels-last here, (I, H, W, C); the model wants channels-first):
    rgb      [-1, 1], white background          (shaded albedo)
    normal   [-1, 1], world space, 0 background
    position [-1, 1] = 2 * normalised xyz, 0 background
    depth    [-1, 1] toward the camera, -1 background
    alpha    {0, 1}
    part     [-1, 1] = 2 * colour - 1, colour = part centroid in the unit cube (SP4D's
             spatial colour encoding), white background
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..runtime.conditioning import normalise_vertices  # noqa: F401 (shared with the numpy twin)
from .raster import EXTENT, rasterize, vertex_normals


def _encode(vn, faces, lab, known):
    """Part colours of the known vertices through the project's shared encoding
    (``engine.parts.encoding``: per-axis unit cube, area-weighted centroids)."""
    from ..parts.encoding import part_colors

    fk = faces[known[faces].all(1)] if len(faces) else None
    pc = part_colors(vn, np.where(known, lab, 0), faces=fk)
    return pc[lab[known]]


@dataclass
class PackedMesh:
    """One mesh prepared for a ``MeshPool`` (all the per-mesh numpy work done, so CPU
    workers can do it and the training thread only concatenates).

    vertices (N, 3) float32 normalised (bbox centred, longest side 1); faces (F, 3) int64
    local ids; part (N,) int64 compact part ids (-1 unknown); color (N, 3) float32 part
    colour in [0, 1]; albedo (N, 3) float32 vertex colours or None."""

    vertices: np.ndarray
    faces: np.ndarray
    part: np.ndarray
    color: np.ndarray
    albedo: np.ndarray | None = None


def pack_mesh(v: np.ndarray, f: np.ndarray, labels: np.ndarray | None, albedo: np.ndarray | None = None) -> PackedMesh:
    """vertices (N, 3), faces (F, 3), labels (N,) or None -> PackedMesh (normalised, part
    ids relabelled 0..k-1 so the colours and the contrastive loss see compact ids)."""
    vn = normalise_vertices(np.asarray(v, np.float64))[0]
    f = np.asarray(f, np.int64)
    lab = np.zeros(len(vn), np.int64) if labels is None else np.asarray(labels, np.int64).copy()
    known = lab >= 0
    col = np.zeros((len(vn), 3))
    if known.any():
        _, lab[known] = np.unique(lab[known], return_inverse=True)
        col[known] = _encode(vn, f, lab, known)
    alb = None if albedo is None else np.asarray(albedo, np.float32)
    return PackedMesh(vn.astype(np.float32), f, lab, col.astype(np.float32), alb)


@dataclass
class MeshPool:
    """Meshes packed into flat tensors on one device (B objects).

    verts (Nv, 3) normalised; faces (F, 3) global vertex ids; vert_obj (Nv,); face_obj (F,);
    color (Nv, 3) part colour in [0, 1]; vert_part (Nv,) part id local to its object
    (-1 unknown); n_parts (B,); normals (Nv, 3); albedo (Nv, 3) optional vertex colours.
    """

    verts: torch.Tensor
    faces: torch.Tensor
    vert_obj: torch.Tensor
    face_obj: torch.Tensor
    color: torch.Tensor
    vert_part: torch.Tensor
    n_parts: torch.Tensor
    normals: torch.Tensor = None
    albedo: torch.Tensor = None

    @classmethod
    def from_arrays(cls, meshes, device="cpu") -> "MeshPool":
        """meshes: list of (vertices (N,3), faces (F,3), labels (N,) or None); vertices are
        normalised here."""
        return cls.from_packed([pack_mesh(v, f, lab) for v, f, lab in meshes], device)

    @classmethod
    def from_packed(cls, items: list[PackedMesh], device="cpu", albedo: bool = False) -> "MeshPool":
        """Concatenate PackedMesh items. Pool albedo: the items' own, 0.7 grey where one
        has none; None when no item has one, unless ``albedo`` asks for it always."""
        offs = np.cumsum([0] + [len(it.vertices) for it in items])[:-1]
        t = lambda a, dt: torch.as_tensor(np.concatenate(a), dtype=dt, device=device)
        pool = cls(t([it.vertices for it in items], torch.float32),
                   t([it.faces + o for it, o in zip(items, offs)], torch.int64),
                   t([np.full(len(it.vertices), i) for i, it in enumerate(items)], torch.int64),
                   t([np.full(len(it.faces), i) for i, it in enumerate(items)], torch.int64),
                   t([it.color for it in items], torch.float32), t([it.part for it in items], torch.int64),
                   torch.tensor([int(it.part.max()) + 1 for it in items], device=device))
        pool.normals = vertex_normals(pool.verts, pool.faces)
        if albedo or any(it.albedo is not None for it in items):
            pool.albedo = t([it.albedo if it.albedo is not None else np.full((len(it.vertices), 3), 0.7, np.float32)
                             for it in items], torch.float32)
        return pool

    def concat(self, other: "MeshPool") -> "MeshPool":
        """Both pools' objects in one pool (self's first)."""
        nv, no = self.verts.shape[0], self.n_objects
        alb = None if self.albedo is None or other.albedo is None else torch.cat([self.albedo, other.albedo])
        return MeshPool(torch.cat([self.verts, other.verts]), torch.cat([self.faces, other.faces + nv]),
                        torch.cat([self.vert_obj, other.vert_obj + no]), torch.cat([self.face_obj, other.face_obj + no]),
                        torch.cat([self.color, other.color]), torch.cat([self.vert_part, other.vert_part]),
                        torch.cat([self.n_parts, other.n_parts]), torch.cat([self.normals, other.normals]), alb)

    @property
    def n_objects(self) -> int:
        return int(self.n_parts.numel())

    def subset(self, idx) -> "MeshPool":
        """A pool of the objects ``idx`` (distinct object ids), re-packed in that order."""
        idx = torch.as_tensor(idx, device=self.verts.device)
        remap = torch.full((self.n_objects,), -1, dtype=torch.int64, device=idx.device)
        remap[idx] = torch.arange(len(idx), device=idx.device)
        vm = remap[self.vert_obj] >= 0
        fm = remap[self.face_obj] >= 0
        new_id = torch.cumsum(vm.long(), 0) - 1
        # objects must come out in idx order: sort packed entries by new object id
        vsel = torch.nonzero(vm).squeeze(1)
        vsel = vsel[torch.argsort(remap[self.vert_obj[vsel]], stable=True)]
        vmap = torch.full_like(new_id, -1)
        vmap[vsel] = torch.arange(len(vsel), device=vsel.device)
        fsel = torch.nonzero(fm).squeeze(1)
        fsel = fsel[torch.argsort(remap[self.face_obj[fsel]], stable=True)]
        return MeshPool(self.verts[vsel], vmap[self.faces[fsel]], remap[self.vert_obj[vsel]],
                        remap[self.face_obj[fsel]], self.color[vsel], self.vert_part[vsel],
                        self.n_parts[idx], self.normals[vsel],
                        None if self.albedo is None else self.albedo[vsel])


def render_views(pool: MeshPool, azimuth: torch.Tensor, elevation: torch.Tensor, size: int,
                 albedo: torch.Tensor | None = None, light: torch.Tensor | None = None,
                 verts: torch.Tensor | None = None) -> dict:
    """Render every object of ``pool`` from V cameras.

    azimuth, elevation: (B, V) radians. albedo: (Nv, 3) in [0, 1] per vertex (default
    neutral grey: a user's mesh comes without our materials). light: (B, 3) unit light
    direction (default from the upper front-left of each view's camera). verts: optional
    posed (Nv, 3) vertices (the colours stay those of the first frame, as in SP4D).

    Returns dict of (B, V, H, W, C) tensors: rgb, normal, position, depth, alpha, part, bary
    (barycentric weights of the pixel in its face), and (B, V, H, W) int64: face (global face
    id or -1), part_id (-1 background).
    """
    b, v = azimuth.shape
    dev = pool.verts.device
    vv = pool.verts if verts is None else verts
    nrm = pool.normals if verts is None else vertex_normals(vv, pool.faces)
    obj_of_img = torch.arange(b, device=dev).repeat_interleave(v)
    face, bary = rasterize(vv, pool.faces, pool.face_obj, obj_of_img, azimuth.reshape(-1).to(dev),
                           elevation.reshape(-1).to(dev), size)
    hit = face >= 0
    fidx = face.clamp_min(0)
    tri = pool.faces[fidx]                                        # (I, H, W, 3)

    def interp(attr):
        return (attr[tri] * bary[..., None]).sum(-2)

    a = hit[..., None].float()
    pos = interp(vv)
    n = torch.nn.functional.normalize(interp(nrm), dim=-1)
    from .raster import camera_frames
    d, r, u = camera_frames(azimuth.reshape(-1).to(dev).float(), elevation.reshape(-1).to(dev).float())
    # face the normal toward the camera (meshes may be open or inconsistently wound)
    flip = ((n * d[:, None, None]).sum(-1, keepdim=True) < 0).float()
    n = n * (1 - 2 * flip)
    depth = (pos * d[:, None, None]).sum(-1, keepdim=True) / EXTENT
    if light is None:
        L = torch.nn.functional.normalize(d + 0.5 * u - 0.4 * r, dim=-1)[:, None, None]
    else:
        L = light.to(dev).repeat_interleave(v, 0)[:, None, None]
    alb = torch.full_like(pos, 0.7) if albedo is None else interp(albedo)
    shade = 0.35 + 0.65 * (n * L).sum(-1, keepdim=True).clamp_min(0)
    rgb = (alb * shade).clamp(0, 1)
    col = interp(pool.color)
    # part colour is constant per face in the ground truth: take the colour of the vertex
    # with the largest barycentric weight so boundaries stay sharp
    vmax = torch.gather(tri, -1, bary.argmax(-1, keepdim=True)).squeeze(-1)
    col = pool.color[vmax]
    pid = torch.where(hit, pool.vert_part[vmax], torch.full_like(vmax, -1))
    out = {
        "rgb": (rgb * 2 - 1) * a + (1 - a),
        "normal": n * a,
        "position": pos * 2 * a,
        "depth": depth * a - (1 - a),
        "alpha": a,
        "part": (col * 2 - 1) * a + (1 - a),
        "bary": bary * a,
    }
    shape = (b, v, size, size)
    out = {k: t.view(*shape, t.shape[-1]) for k, t in out.items()}
    out["face"] = face.view(shape)
    out["part_id"] = pid.view(shape)
    return out


def build_cond(views: dict, known: torch.Tensor, ref_view: int = 0, ref_rgba: torch.Tensor | None = None) -> torch.Tensor:
    """Conditioning tensor (B, V, T=1, 16, H, W) from rendered views.

    views: render_views output (B, V, H, W, C); known: (B, V) 0/1 which views' renders are
    given (1 for every view of a known mesh; 0 for views to invent from footage).
    ref_rgba: (B, H, W, 4) the input frame; default the RGB+alpha of view ``ref_view``.
    Channel order: input frame rgba (4) | known rgb, normal, position, depth, alpha (11) | mask (1).
    """
    b, v = known.shape
    if ref_rgba is None:
        ref_rgba = torch.cat([views["rgb"][:, ref_view], views["alpha"][:, ref_view]], -1)
    ref = ref_rgba[:, None].expand(b, v, *ref_rgba.shape[1:])
    kn = torch.cat([views[k] for k in ("rgb", "normal", "position", "depth", "alpha")], -1)
    m = known.to(kn.dtype)[:, :, None, None, None]
    cond = torch.cat([ref, kn * m, m.expand(*kn.shape[:-1], 1)], -1)   # (B, V, H, W, 16)
    return cond.permute(0, 1, 4, 2, 3)[:, :, None].contiguous()
