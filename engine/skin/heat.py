"""Bone heat (Baran & Popovic 2007) on a welded mesh with robust Laplacian and visibility.

For every bone j the weight field w_j solves  (L + M H) w_j = M H p_j, where L is the
Laplacian (unitless cotangents), M the lumped areas (units^2), H = c / d^2 the heat
transfer from the closest visible bone at distance d (1/units^2), and p_j the indicator of
"bone j is closest". All terms scale alike, so the weights do not depend on the unit. H
is the same for all bones, so one sparse LU serves every bone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from ..mesh import vertex_normals
from .bones import nearest_bones
from .laplacian import robust_laplacian
from .visibility import segments_visible, voxelize


@dataclass
class HeatSources:
    """Per-vertex heat: H (M,) in 1/units^2, and the sparse source indicator P (M, B) whose
    rows sum to 1 (bones sharing the closest distance split the row)."""

    H: np.ndarray
    P: sp.csr_matrix


def heat_sources(vertices: np.ndarray, faces: np.ndarray, heads: np.ndarray, tails: np.ndarray,
                 heat_weight: float = 1.0, candidates: int = 8, visibility: bool = True,
                 voxel_resolution: int = 96, tie_eps: float = 1e-3, min_dist_rel: float = 1e-3,
                 forced_bone: np.ndarray | None = None, normal_bias: bool = True,
                 occluded: str = "next_visible", shell_ids: np.ndarray | None = None) -> HeatSources:
    """Closest visible bone(s) of each vertex and the heat they give.

    vertices (M, 3), faces (F, 3), heads/tails (B, 3) of the deform bones.
    candidates: how many nearest bones are tested for visibility per vertex.
    tie_eps: bones within (1 + tie_eps) x the closest distance share the vertex (joints).
    min_dist_rel: distances are clamped to this fraction of the bbox diagonal (a vertex on
    a bone would otherwise get infinite heat).
    forced_bone: optional (M,) bone index per vertex (-1 = none) from a part prior; such
    vertices take heat only from that bone.
    normal_bias: like Blender, divide distances by 0.5 (cos + 1.001), cos between the vertex
    normal and the bone->vertex direction, so a bone behind the surface (the usual case) is
    preferred over one in front of it (a neighbouring limb).
    occluded: what a vertex whose closest bone is hidden does. "diffuse" (Blender's rule):
    it gets no heat and takes its weights from its neighbours through the Laplacian;
    "next_visible": it takes heat from the closest bone it can see.
    shell_ids: (M,) connected component per vertex; a shell left with no heated vertex at
    all (where Blender's solve fails) falls back to the nearest bone for all its vertices.
    Vertices that see no candidate bone take heat from the nearest one, so every vertex
    has H > 0 and every shell of the mesh has a solution.
    """
    m, b = len(vertices), len(heads)
    idx, dist, closest = nearest_bones(vertices, heads, tails, candidates)
    k = idx.shape[1]
    if normal_bias:
        normals = vertex_normals(vertices, faces)
        d = vertices[:, None, :] - closest
        cos = np.einsum("nkj,nj->nk", d, normals) / np.maximum(np.linalg.norm(d, axis=2), 1e-300)
        # vertices without faces have a zero normal: cos = 0 -> a uniform factor of ~2
        dist = dist / (0.5 * (cos + 1.001))
        order = np.argsort(dist, axis=1)
        idx, dist = np.take_along_axis(idx, order, 1), np.take_along_axis(dist, order, 1)
        closest = np.take_along_axis(closest, order[..., None], 1)
    vis = np.ones((m, k), bool)
    if visibility:
        solid = voxelize(vertices, faces, voxel_resolution)
        vis = segments_visible(solid, np.repeat(vertices, k, axis=0), closest.reshape(-1, 3)).reshape(m, k)
    none_visible = ~vis.any(axis=1)
    vis[none_visible, 0] = True                       # fallback: nearest bone
    if occluded == "diffuse":
        near = dist <= dist[:, :1] * (1.0 + tie_eps) + 1e-300
        chosen = vis & near
        cold = ~chosen.any(axis=1)
        if shell_ids is not None and cold.any():
            warm_shell = np.zeros(int(shell_ids.max()) + 1, bool)
            warm_shell[shell_ids[~cold]] = True
            lost = cold & ~warm_shell[shell_ids]
            chosen[lost] = near[lost]
        dmin = dist[:, 0].copy()
    else:
        dvis = np.where(vis, dist, np.inf)
        dmin = dvis.min(axis=1)
        chosen = vis & (dvis <= dmin[:, None] * (1.0 + tie_eps) + 1e-300)

    if forced_bone is not None:
        forced = forced_bone >= 0
        if forced.any():
            fb = forced_bone[forced]
            d = (vertices[forced] - heads[fb])
            seg = tails[fb] - heads[fb]
            t = np.clip(np.einsum("ij,ij->i", d, seg) / np.maximum(np.einsum("ij,ij->i", seg, seg), 1e-300), 0, 1)
            dmin[forced] = np.linalg.norm(d - t[:, None] * seg, axis=1)
            idx[forced, 0] = fb
            chosen[forced] = False
            chosen[forced, 0] = True

    scale = float(np.linalg.norm(vertices.max(axis=0) - vertices.min(axis=0)))
    dmin = np.maximum(dmin, min_dist_rel * scale)
    count = chosen.sum(axis=1)
    H = heat_weight * count / dmin ** 2
    rows = np.repeat(np.arange(m), k)[chosen.ravel()]
    cols = idx.ravel()[chosen.ravel()]
    vals = (1.0 / np.maximum(count, 1))[rows]
    P = sp.csr_matrix((vals, (rows, cols)), shape=(m, b))
    return HeatSources(H, P)


def solve_heat(vertices: np.ndarray, faces: np.ndarray, sources: HeatSources, keep: int,
               graph_weight: float = 1e-2, bone_chunk: int = 16,
               progress: Callable[[float, str], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Solve the heat system for every bone that is a source somewhere.

    Keeps only the ``keep`` largest weights per vertex while going through bones in chunks,
    so memory is O(M x (keep + bone_chunk)), never O(M x B) for big skeletons.
    Returns (values (M, keep), bone indices (M, keep), -1 for empty slots).
    """
    m = len(vertices)
    lap, mass = robust_laplacian(vertices, faces, graph_weight)
    mh = mass * sources.H
    A = (lap + sp.diags(mh)).tocsc()
    if progress:
        progress(0.0, "factorising the mesh Laplacian")
    # the matrix is symmetric: a minimum-degree ordering on A + A^T gives far less fill
    # than SuperLU's default COLAMD on mesh Laplacians
    lu = splu(A, permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
    active = np.flatnonzero(np.asarray(sources.P.sum(axis=0)).ravel() > 0)
    Pc = sources.P.tocsc()
    top_v = np.zeros((m, keep))
    top_i = -np.ones((m, keep), np.int64)
    for s in range(0, len(active), bone_chunk):
        bones = active[s:s + bone_chunk]
        rhs = Pc[:, bones].toarray() * mh[:, None]
        sol = lu.solve(rhs)
        allv = np.hstack([top_v, sol])
        alli = np.hstack([top_i, np.broadcast_to(bones, sol.shape)])
        if allv.shape[1] > keep:
            part = np.argpartition(-allv, keep - 1, axis=1)[:, :keep]
            top_v = np.take_along_axis(allv, part, axis=1)
            top_i = np.take_along_axis(alli, part, axis=1)
        else:
            top_v, top_i = allv, alli
        if progress:
            progress(min(1.0, (s + len(bones)) / len(active)), "solving bone heat")
    top_i = np.where(top_v > 0, top_i, -1)
    return top_v, top_i
