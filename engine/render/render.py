"""Multi-view, multi-frame rendering of (batches of) meshes: RGB, normals, depth, alpha,
face ids, part ids and spatial part colours, in torch on any device."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .cameras import Cameras
from .rasterize import rasterize, to_screen


@dataclass
class MeshBatchItem:
    """One object to render. frames (T,N,3) posed positions (or (N,3) for one frame);
    faces (F,3); colors (N,3) albedo in [0,1] (None = grey); vertex_part (N,) int part
    ids (None = no part maps); part_colors (P,3) colour code of each part."""

    frames: np.ndarray | torch.Tensor
    faces: np.ndarray | torch.Tensor
    colors: np.ndarray | torch.Tensor | None = None
    vertex_part: np.ndarray | torch.Tensor | None = None
    part_colors: np.ndarray | torch.Tensor | None = None


def _t(a, dev, dtype):
    return a.to(dev, dtype) if torch.is_tensor(a) else torch.as_tensor(np.asarray(a), dtype=dtype, device=dev)


def vertex_normals(verts: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """Area-weighted unit vertex normals. verts (T,N,3), faces (F,3) -> (T,N,3)."""
    v0, v1, v2 = verts[:, faces[:, 0]], verts[:, faces[:, 1]], verts[:, faces[:, 2]]
    fn = torch.cross(v1 - v0, v2 - v0, dim=-1)                       # (T,F,3), |fn| = 2 area
    n = torch.zeros_like(verts)
    for i in range(3):
        n.index_add_(1, faces[:, i], fn)
    return torch.nn.functional.normalize(n, dim=-1, eps=1e-12)


def render_batch(objects, cameras: Cameras | list[Cameras], device: str | torch.device = "cpu",
                 light_dirs=None, ambient: float | torch.Tensor = 0.35, background=1.0,
                 max_candidates: int | None = None, return_bary: bool = False) -> dict[str, torch.Tensor]:
    """Render B objects x V views x T frames in one rasterisation pass.

    objects: list of SynthObject or MeshBatchItem (same T for all).
    cameras: one Cameras for all objects, or a list of B (same V and image size).
    light_dirs: (B,3) world directions towards the light (None = from the camera-ish
        front-top-left); ambient: scalar or (B,) ambient term of the Lambert shading;
        background: scalar grey or (3,) / (B,3) RGB composited behind ``rgb``.
    Returns a dict of tensors shaped (B,V,T,C,H,W) on ``device``:
      rgb (3, float [0,1], composited), alpha (1, float {0,1}), normals (3, world space,
      unit, facing the camera, 0 = background), depth (1, view depth, 0 = background),
      face_ids (1, int64 face index of the object, -1), part_ids (1, int64, -1),
      part_colors (3, float [0,1], 0 = background); with return_bary also bary (3,
      perspective-correct barycentrics of the pixel in its face, for lifting).
    """
    dev = torch.device(device)
    items = [_item(o) for o in objects]
    B = len(items)
    cams = cameras if isinstance(cameras, (list, tuple)) else [cameras] * B
    V = len(cams[0])
    H, W = cams[0].image_size
    T = items[0].frames.shape[0] if np.ndim(items[0].frames) == 3 else 1

    screens, tris, tri_img, tri_face, attr_of_vertex = [], [], [], [], []
    pos_l, nrm_l, col_l, pid_l, pcol_l, eyes_l = [], [], [], [], [], []
    m_off = 0      # offset into the flat projected-vertex array
    a_off = 0      # offset into the flat per-(object, frame, vertex) attribute arrays
    for b, it in enumerate(items):
        fr = _t(it.frames, dev, torch.float32)
        fr = fr[None] if fr.dim() == 2 else fr                        # (T,N,3)
        faces = _t(it.faces, dev, torch.int64)
        N, F = fr.shape[1], faces.shape[0]
        VP = _t(cams[b].proj @ cams[b].view, dev, torch.float32)      # (V,4,4)
        hom = torch.cat([fr, torch.ones_like(fr[..., :1])], -1)     # (T,N,4)
        clip = torch.einsum("vij,tnj->vtni", VP, hom)                 # (V,T,N,4)
        screens.append(to_screen(clip, H, W).reshape(-1, 3))
        # triangle instances: faces of this object in each of its V*T images
        img = torch.arange(V * T, device=dev)
        tris.append((faces[None] + (img * N)[:, None, None] + m_off).reshape(-1, 3))
        tri_img.append(((b * V * T) + img).repeat_interleave(F))
        tri_face.append(torch.arange(F, device=dev).repeat(V * T))
        t_of_img = img % T
        attr_of_vertex.append((a_off + t_of_img[:, None] * N + torch.arange(N, device=dev)[None]).reshape(-1))
        pos_l.append(fr.reshape(-1, 3))
        nrm_l.append(vertex_normals(fr, faces).reshape(-1, 3))
        col = _t(it.colors, dev, torch.float32) if it.colors is not None else torch.full((N, 3), 0.7, device=dev)
        col_l.append(col.repeat(T, 1))
        if it.vertex_part is not None:
            vp = _t(it.vertex_part, dev, torch.int64)
            pc = _t(it.part_colors, dev, torch.float32)
            pid_l.append(vp.repeat(T))
            pcol_l.append(pc[vp].repeat(T, 1))
        else:
            pid_l.append(torch.full((N * T,), -1, dtype=torch.int64, device=dev))
            pcol_l.append(torch.zeros((N * T, 3), device=dev))
        eyes_l.append(_t(cams[b].eyes, dev, torch.float32))
        m_off += V * T * N
        a_off += T * N

    screen = torch.cat(screens)
    tris_all = torch.cat(tris)
    frag = rasterize(screen, tris_all, torch.cat(tri_img), B * V * T, H, W, max_candidates)
    hit = frag.tri >= 0                                               # (I,H,W)
    t = frag.tri.clamp_min(0)
    vid = tris_all[t]                                                 # (I,H,W,3) flat vertex ids
    aid = torch.cat(attr_of_vertex)[vid]                             # (I,H,W,3) attribute ids
    bary = frag.bary[..., None]                                       # (I,H,W,3,1)

    def interp(a):
        return (a[aid] * bary).sum(-2)

    pos = interp(torch.cat(pos_l))
    nrm = torch.nn.functional.normalize(interp(torch.cat(nrm_l)), dim=-1, eps=1e-12)
    eyes = torch.stack(eyes_l)                                        # (B,V,3)
    eye_img = eyes[:, :, None, :].expand(B, V, T, 3).reshape(-1, 1, 1, 3)
    to_cam = eye_img - pos
    nrm = torch.where(((nrm * to_cam).sum(-1, keepdim=True) < 0), -nrm, nrm)  # two-sided
    if light_dirs is None:
        light_dirs = torch.tensor([[0.4, -0.8, 0.6]], device=dev).expand(B, 3)
    L = torch.nn.functional.normalize(_t(light_dirs, dev, torch.float32).reshape(-1, 3).expand(B, 3), dim=-1)
    L_img = L[:, None, None, :].expand(B, V, T, 3).reshape(-1, 1, 1, 3)
    amb = _t(ambient, dev, torch.float32).reshape(-1).expand(B)[:, None, None].expand(B, V, T).reshape(-1, 1, 1, 1)
    shade = amb + (1 - amb) * (nrm * L_img).sum(-1, keepdim=True).clamp_min(0)
    albedo = interp(torch.cat(col_l))
    # part maps: the part of the pixel's nearest vertex (crisp boundaries, no blending)
    nearest = torch.gather(aid, -1, frag.bary.argmax(-1, keepdim=True)).squeeze(-1)
    pid = torch.cat(pid_l)[nearest]
    pcol = torch.cat(pcol_l)[nearest]
    a = hit[..., None].float()
    bg = _t(background, dev, torch.float32).reshape(-1, 3) if np.size(background) > 1 else \
        torch.full((1, 3), float(background), device=dev)
    bg_img = bg.expand(B, 3)[:, None, None, :].expand(B, V, T, 3).reshape(-1, 1, 1, 3)
    rgb = (albedo * shade).clamp(0, 1) * a + bg_img * (1 - a)

    def out(x, c):  # (I,H,W,C) -> (B,V,T,C,H,W)
        return x.reshape(B, V, T, H, W, c).permute(0, 1, 2, 5, 3, 4).contiguous()

    res = {
        "rgb": out(rgb, 3),
        "alpha": out(a, 1),
        "normals": out(nrm * a, 3),
        "depth": out(frag.depth[..., None], 1),
        "face_ids": out(torch.where(hit, torch.cat(tri_face)[t], torch.full_like(t, -1))[..., None], 1),
        "part_ids": out(torch.where(hit, pid, torch.full_like(pid, -1))[..., None], 1),
        "part_colors": out(pcol * a, 3),
    }
    if return_bary:
        res["bary"] = out(frag.bary, 3)
    return res


def render_mesh(frames, faces, cameras: Cameras, colors=None, vertex_part=None, part_colors=None,
                device="cpu", **kw) -> dict[str, torch.Tensor]:
    """Render one mesh: like ``render_batch`` with B=1, outputs (V,T,C,H,W)."""
    out = render_batch([MeshBatchItem(frames, faces, colors, vertex_part, part_colors)], cameras, device, **kw)
    return {k: v[0] for k, v in out.items()}


def _item(o) -> MeshBatchItem:
    if isinstance(o, MeshBatchItem):
        return o
    return MeshBatchItem(o.frames, o.faces, o.colors, o.vertex_part, o.part_colors)
