"""compute_weights: skinning weights of a mesh for a skeleton (the public entry point)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from ..errors import InputError
from ..mesh import MeshData, clean_mesh
from ..rig import Skeleton, SkinWeights
from .bones import bone_segments
from .heat import heat_sources, solve_heat
from .limit import prune_small, rigid_shells, smooth_top_k


# SkinOptions.refiner value for the refiner shipped in models/skin-refiner
BUNDLED_REFINER = "bundled"


@dataclass
class SkinOptions:
    """Knobs of the skinning solve (defaults chosen on the reference-model benchmark).

    max_influences:   bones per vertex kept (smooth top-k).
    heat_weight:      c in H = c / d^2; larger = stiffer, more rigid weights.
    visibility:       test bone visibility through a voxel solid (bone heat's rule).
    voxel_resolution: voxels along the longest side for the visibility solid.
    candidates:       nearest bones tested for visibility per vertex.
    graph_weight:     uniform-Laplacian fraction added to the cotangent one (robustness).
    weld_rel:         welding distance as a fraction of the bbox diagonal.
    normal_bias:      prefer bones behind the surface (Blender's normal-weighted distance).
    segments:         "hierarchy" (head -> children's heads where the tail is arbitrary,
                      as in imported rigs) or "tails" (head -> tail as given).
    occluded:         "diffuse" (a vertex whose closest bone is hidden gets no heat of its
                      own, Blender's rule) or "next_visible" (heat from the closest visible).
    prune:            heat weights under prune/2 dropped, ramped up to prune (0 = off).
    rigid_dominance:  a separate piece (shell) whose strongest bone holds at least this
                      share of its weight is bound rigidly to that bone (> 1 = off).
    rigid_max_fraction: shells with more than this fraction of the vertices are never
                      made rigid (the body skin).
    piece_bone:       a separate piece (shell) with exactly one bone running inside it is
                      bound rigidly to that bone (``engine.skin.pieces``); pieces over
                      ``rigid_max_fraction`` of the vertices and the largest are left alone.
    mirror_tol:       on a mirror-symmetric mesh, each vertex's weights are averaged with
                      its mirror vertex's (bones swapped) where the reflection lands within
                      this fraction of the bbox diagonal and both are weighted by bones that
                      have a mirror bone (0 = off; ``engine.skin.mirror``).
    refiner:          folder of a trained ``SkinRefiner`` that corrects the heat toward
                      artists' weights (BUNDLED_REFINER = models/skin-refiner, "" = off). Used
                      when no part prior is given (Rebind, ``sp4d skin``); with part
                      labels the parts already decide which bone a piece follows.
    """

    max_influences: int = 4
    heat_weight: float = 8.0
    visibility: bool = True
    voxel_resolution: int = 96
    candidates: int = 8
    graph_weight: float = 1e-2
    weld_rel: float = 1e-6
    normal_bias: bool = True
    prune: float = 0.05
    segments: str = "hierarchy"
    occluded: str = "next_visible"
    # off by default: 0.4 / 0.5 is the best setting on the training models
    # (benchmarks/tune_skinning.py) but its gain there is small and did not carry over
    # (notes/SKINNING.md)
    rigid_dominance: float = 2.0
    rigid_max_fraction: float = 0.5
    # on: tuning models' pooled L1 / deformation 0.303 / 0.495 -> 0.303 / 0.483 % with the
    # refiner, 0.635 / 1.044 -> 0.623 / 1.021 % with bone heat alone (notes/SKINNING.md)
    piece_bone: bool = True
    # neutral on the tuning models' L1 (their heat is already mirrored); takes the
    # asymmetry of Auto-Rig's part-driven weights from 0.016 to 0.0012 (notes/SKINNING.md)
    mirror_tol: float = 0.005
    refiner: str = BUNDLED_REFINER

    def with_text(self, assignments: list[str]) -> "SkinOptions":
        """A copy with fields set from 'FIELD=VALUE' strings (benchmarks' and scripts' --set):
        'true'/'false' for flags, an empty value for an empty path (``refiner=``: off)."""
        changes = {}
        for text in assignments:
            name, _, value = text.partition("=")
            if name not in self.__dataclass_fields__:
                raise ValueError(f"SkinOptions has no field {name!r}")
            kind = type(getattr(self, name))
            if kind is bool:
                if value.lower() not in ("true", "false", "1", "0"):
                    raise ValueError(f"{name}: use true or false, not {value!r}")
                changes[name] = value.lower() in ("true", "1")
            else:
                changes[name] = kind(value)
        return replace(self, **changes)


def _check(mesh: MeshData, skeleton: Skeleton, options: SkinOptions) -> None:
    mesh.validate()
    skeleton.validate()
    if options.max_influences < 1:
        raise InputError("max_influences must be at least 1")
    length = np.linalg.norm(skeleton.tails - skeleton.heads, axis=1)
    if not (length[skeleton.deform] > 0).any() and skeleton.deform.sum() > 1 and \
            np.ptp(skeleton.heads[skeleton.deform], axis=0).max() == 0:
        raise InputError("all deform bones are at one point")


@dataclass
class HeatSolve:
    """Bone heat on the welded mesh, before pruning and the influence limit.

    clean: the welded mesh (vertex_map sends input vertices to it); deform: (D,) skeleton
    index of each deform bone; heads, tails: (D, 3) the segments distances are measured to;
    values, bones: (M, K) the K largest heat weights of each welded vertex and their deform
    bone positions (-1 empty); strongest: (M,) the strongest heat source per vertex (the
    fallback for vertices whose solved weights all vanished)."""

    clean: object
    deform: np.ndarray
    heads: np.ndarray
    tails: np.ndarray
    values: np.ndarray
    bones: np.ndarray
    strongest: np.ndarray


def solve_bone_heat(mesh: MeshData, skeleton: Skeleton, options: SkinOptions, keep: int,
                    part_labels: np.ndarray | None = None, part_to_bone: np.ndarray | None = None,
                    report: Callable[[float, str], None] = lambda f, s: None) -> HeatSolve:
    """Weld, find the heat sources and solve bone heat, keeping ``keep`` bones per vertex
    (see ``compute_weights`` for the arguments). Progress runs from 0 to 0.95."""
    clean = clean_mesh(mesh, weld_rel=options.weld_rel, weld_across_objects=True)
    V, F = clean.mesh.vertices, clean.mesh.faces
    deform = np.flatnonzero(skeleton.deform)
    starts, ends = bone_segments(skeleton.heads, skeleton.tails, skeleton.parents, skeleton.deform,
                                 options.segments)
    heads, tails = starts[deform], ends[deform]

    forced = None
    if part_labels is not None and part_to_bone is not None:
        part_labels = np.asarray(part_labels, np.int64).reshape(-1)
        part_to_bone = np.asarray(part_to_bone, np.int64).reshape(-1)
        if len(part_labels) != mesh.n_vertices:
            raise InputError(f"part_labels has {len(part_labels)} entries for {mesh.n_vertices} vertices")
        # bone index (in the full skeleton) -> position among deform bones
        to_deform = -np.ones(skeleton.n_bones + 1, np.int64)
        to_deform[deform] = np.arange(len(deform))
        valid = (part_labels >= 0) & (part_labels < len(part_to_bone))
        bone = np.where(valid, part_to_bone[np.clip(part_labels, 0, max(len(part_to_bone) - 1, 0))], -1)
        bone = np.where((bone >= 0) & (bone < skeleton.n_bones), bone, skeleton.n_bones)
        forced = -np.ones(len(V), np.int64)
        forced[clean.vertex_map] = to_deform[bone]

    report(0.05, "finding visible bones")
    src = heat_sources(V, F, heads, tails, heat_weight=options.heat_weight,
                       candidates=options.candidates, visibility=options.visibility,
                       voxel_resolution=options.voxel_resolution, forced_bone=forced,
                       normal_bias=options.normal_bias, occluded=options.occluded,
                       shell_ids=clean.shell_ids)
    report(0.2, "factorising the mesh Laplacian")
    sub = (lambda f, s: report(0.2 + 0.75 * f, s))
    vals, idx = solve_heat(V, F, src, keep=keep, graph_weight=options.graph_weight, progress=sub)
    strongest = np.asarray(src.P.argmax(axis=1)).ravel()
    return HeatSolve(clean, deform, heads, tails, vals, idx, strongest)


# heat candidates per vertex the refiner chooses among (artists' weights reach beyond the 4
# strongest heat bones: 7.5 % of their weight lies outside the top 8 on the training models)
REFINER_CANDIDATES = 8


def heat_features(heat: HeatSolve, skeleton: Skeleton):
    """The refiner's features of ``heat``'s candidates, in blocks of welded vertices: yields
    (first row, CandidateFeatures) as ``engine.skin.features.iter_candidate_features``.
    Inference and training (scripts/train_skin_refiner.py) both build them here."""
    from .features import deform_parents, iter_candidate_features

    clean = heat.clean
    return iter_candidate_features(clean.mesh.vertices, clean.mesh.faces, clean.shell_ids, heat.heads, heat.tails,
                                   deform_parents(skeleton.parents, skeleton.deform), heat.values, heat.bones)


def _refiner_for(skeleton: Skeleton, refiner: str):
    """The ``RefinerWeights`` that ``SkinOptions.refiner`` names, or None when it is off or
    ``skeleton`` has fewer deform bones than any rig the refiner learned from (plain bone heat)."""
    if not refiner:
        return None
    from .refine import REFINER_DIR, load_refiner

    model = load_refiner(REFINER_DIR if refiner == BUNDLED_REFINER else refiner)
    return model if int(np.count_nonzero(skeleton.deform)) >= model.min_bones else None


def _refine(heat: HeatSolve, skeleton: Skeleton, model) -> tuple[np.ndarray, np.ndarray]:
    """Refined (M, K) weights and their deform-bone positions for the welded vertices
    (``model``: ``RefinerWeights``)."""
    from .refine import refine

    values, bones = np.zeros(heat.bones.shape), -np.ones(heat.bones.shape, np.int64)
    for s, feats in heat_features(heat, skeleton):
        values[s:s + len(feats.bones)] = refine(feats, model)
        bones[s:s + len(feats.bones)] = feats.bones
    return values, bones


def compute_weights(mesh: MeshData, skeleton: Skeleton, options: SkinOptions | None = None,
                    part_labels: np.ndarray | None = None, part_to_bone: np.ndarray | None = None,
                    progress: Callable[[float, str], None] | None = None) -> SkinWeights:
    """Skinning weights of every vertex of ``mesh`` for the deform bones of ``skeleton``.

    mesh: N vertices in world units (any scale, any number of shells, seams split or not).
    skeleton: bones in the same world space; only ``deform`` bones get weight.
    part_labels: optional (N,) int part id per vertex (-1 = unknown); part_to_bone: (P,)
    bone index of each part. With them, every labelled vertex takes heat only from its
    part's bone, so part interiors go rigidly to that bone and blending happens at part
    boundaries.
    progress: called as progress(fraction in [0, 1], stage text); exceptions propagate
    (that is how a caller cancels).
    Returns SkinWeights with N rows, <= max_influences bones each (indices into
    skeleton.names), rows summing to 1, no vertex unweighted.
    """
    options = options or SkinOptions()
    _check(mesh, skeleton, options)
    report = progress or (lambda f, s: None)
    report(0.0, "cleaning the mesh")
    k = options.max_influences
    refiner = _refiner_for(skeleton, options.refiner if part_labels is None or part_to_bone is None else "")
    keep = max(k + 1, REFINER_CANDIDATES) if refiner is not None else k + 1
    heat = solve_bone_heat(mesh, skeleton, options, keep, part_labels, part_to_bone, report)
    clean, deform, vals, idx = heat.clean, heat.deform, heat.values, heat.bones
    if refiner is not None:
        report(0.95, "refining weights")
        vals, idx = _refine(heat, skeleton, refiner)
    # vertices where every solved weight vanished (cannot happen with H > 0 everywhere, but
    # cheap to guarantee): give them their strongest heat source
    empty = (idx < 0).all(axis=1)
    if empty.any():
        idx[empty, 0] = heat.strongest[empty]
        vals[empty, 0] = 1.0
    pruned = prune_small(vals, options.prune, options.prune / 2)
    # never prune a vertex to nothing: keep its strongest bone
    gone = (pruned <= 0).all(axis=1)
    pruned[gone] = vals[gone]
    w, i = smooth_top_k(pruned, idx, k)
    if options.mirror_tol > 0:
        from .mirror import mirror_average

        # after the limit, so that fewer vertices touch a bone without a twin
        w, i, _ = mirror_average(clean.mesh.vertices, w, i, heat.heads, heat.tails, options.mirror_tol)
        w, i = smooth_top_k(w, i, k)
    w, i = rigid_shells(w, i, clean.shell_ids, options.rigid_dominance, options.rigid_max_fraction)
    if options.piece_bone:
        from .pieces import bind_pieces_to_inner_bones

        w, i = bind_pieces_to_inner_bones(w, i, clean.mesh.vertices, clean.mesh.faces, clean.shell_ids,
                                          heat.heads, heat.tails, options.rigid_max_fraction)
    i = np.where(i >= 0, deform[np.maximum(i, 0)], -1)
    report(1.0, "done")
    return SkinWeights(i[clean.vertex_map].astype(np.int64), w[clean.vertex_map].astype(np.float32),
                       list(skeleton.names))
