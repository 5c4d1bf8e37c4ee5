"""Auto-Rig, engine side: mesh arrays -> kinematic parts -> skeleton -> skinning weights.

This is the one code path behind the add-on's Auto-Rig button and ``sp4d autorig``; the
Blender layer only converts data in and out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .mesh import MeshData
from .progress import ProgressFn, StagedProgress
from .rig import Skeleton, SkinWeights

SEGMENTERS = ("sp4d", "geometric")


@dataclass
class AutoRigOptions:
    """segmenter: 'sp4d' (the diffusion model) or 'geometric' (model-free baseline).
    model: local folder or hub id of SP4D weights (None = the bundled checkpoint).
    steps: diffusion sampling steps; max_influences: skinning influences per vertex."""

    segmenter: str = "sp4d"
    model: str | None = None
    device: str = "cpu"
    steps: int | None = None
    seed: int = 0
    max_influences: int = 4
    allow_download: bool = False


@dataclass
class AutoRigResult:
    """skeleton: the new bones (world space); weights: per original vertex (N rows);
    labels: (N,) part id per vertex; part_to_bone: (P,) bone driving each part;
    timings: stage -> seconds; parts: the SP4D generation result (frames, part maps,
    cameras) when the model ran, else None."""

    skeleton: Skeleton
    weights: SkinWeights
    labels: np.ndarray
    part_to_bone: np.ndarray
    symmetric: bool
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    parts: object = None

    def report(self) -> dict:
        """JSON-friendly summary (stage timings, counts, warnings)."""
        return {
            "bones": self.skeleton.n_bones,
            "parts": int(self.labels.max()) + 1 if len(self.labels) else 0,
            "vertices": int(len(self.labels)),
            "symmetric": bool(self.symmetric),
            "bone_names": list(self.skeleton.names),
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
            "warnings": list(self.warnings),
        }


def segment_parts(mesh: MeshData, options: AutoRigOptions, progress: ProgressFn | None = None):
    """Per-vertex kinematic part labels (N,) and the SP4D result (or None)."""
    if options.segmenter == "geometric":
        from .segment.geometric import segment_geometric

        labels = segment_geometric(mesh, seed=options.seed)
        if progress:
            progress(1.0, "geometric segmentation")
        return labels, None
    if options.segmenter != "sp4d":
        from .errors import InputError

        raise InputError(f"unknown segmenter '{options.segmenter}': use one of {', '.join(SEGMENTERS)}")
    from .pipelines.parts_for_mesh import predict_parts

    kwargs = dict(model_dir=options.model, device=options.device, seed=options.seed, progress=progress)
    if options.steps:
        kwargs["steps"] = options.steps
    result = predict_parts(mesh, **kwargs)
    return result.labels, result


def autorig(mesh: MeshData, options: AutoRigOptions | None = None,
            progress: ProgressFn | None = None) -> AutoRigResult:
    """Rig ``mesh`` (all objects together): parts, skeleton, weights.

    Raises InputError for unusable meshes, ModelError for missing weights, and whatever
    ``progress`` raises (e.g. Cancelled) between steps.
    """
    from .rig import skeleton_from_parts
    from .skin import SkinOptions, compute_weights

    options = options or AutoRigOptions()
    mesh.validate()
    stages = StagedProgress(progress, {"parts": 6.0, "skeleton": 1.0, "skinning": 3.0})
    labels, parts = stages.run("parts", segment_parts, mesh, options)
    rig = stages.run("skeleton", lambda progress: skeleton_from_parts(mesh, labels))
    weights = stages.run(
        "skinning", compute_weights, mesh, rig.skeleton,
        SkinOptions(max_influences=options.max_influences),
        part_labels=rig.labels, part_to_bone=rig.part_to_bone)
    return AutoRigResult(rig.skeleton, weights, rig.labels, rig.part_to_bone, rig.symmetric,
                         stages.timings, list(rig.warnings), parts)
