"""From footage to a rigged mesh: the one code path behind ``sp4d footage`` and the
"Auto-Rig from Footage" operator.

    footage  -> intake (T object-centred frames)
             -> SP4D: V novel views x T frames of RGB + part maps
             -> reconstruction at frame 0 (visual hull, marching cubes, Taubin, colours)
             -> part labels lifted from the generated part maps onto the mesh
             -> skeleton from parts -> joints moved to observed pivots (frames 0..T-1)
             -> skinning weights
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..autorig import AutoRigResult
from ..mesh import MeshData
from ..parts.lift import LiftOptions
from ..progress import ProgressFn, StagedProgress
from .cameras import OrthoCameras
from .generate import GeneratedViews, generate_views
from .intake import FootageFrames, load_footage
from .motion import MotionRig, estimate_pivots, move_joints, part_motion
from .reconstruct import Reconstruction, rasterize_views, reconstruct


@dataclass
class FootageOptions:
    """frames / indices: how many frames to use, or which (0-based); mask: artist mask
    (array or image path); crop: (x, y, w, h) box around the object; threshold:
    background colour distance (None = automatic). model/device/steps/seed: SP4D weights
    and sampling. azimuth_deg / elevation_deg: the footage camera in the model's
    convention (0 = the object faces the camera; 15 = eye level a little above).
    resolution: voxels per axis of the visual hull; tolerance: generated views allowed
    to disagree with a voxel before it is carved (None = ``reconstruct``'s default);
    target_faces: triangle count of the mesh; size: longest side of the result in scene
    units (footage has no scale); use_motion: move joints to pivots observed between frames;
    lift: how the generated part maps become vertex labels (``engine.parts.lift``)."""

    frames: int = 4
    indices: list | None = None
    mask: object = None
    crop: tuple | None = None
    threshold: float | None = None
    model: str | None = None
    device: str = "cpu"
    steps: int | None = None
    seed: int = 0
    runtime: str = "auto"
    azimuth_deg: float = 0.0
    elevation_deg: float = 15.0
    resolution: int = 64
    tolerance: int | None = None
    target_faces: int = 6000
    size: float = 1.0
    max_influences: int = 4
    use_motion: bool = True
    # no regrouping on the mesh: the carved hull's creases are not the parts' and its
    # generated colours are noisy, so the mesh refinement merged most parts on the tuning
    # clips and raised the skeleton error (notes/TRAINING.md, "One lifting")
    lift: LiftOptions = field(default_factory=lambda: LiftOptions(refine="none"))


@dataclass
class FootageResult:
    """mesh: the reconstructed mesh in scene space (Z up, resting on z = 0, longest side
    ``options.size``); colors: (N, 3) vertex colours in [0, 1]; rig: skeleton, weights
    and per-vertex part labels (AutoRigResult); footage: the frames read; generated: the
    SP4D views; reconstruction: the mesh in the model's normalised frame; motion: the
    pivot estimates; cameras: the generated views' cameras (normalised frame);
    to_scene: (scale, offset (3,)) with scene = normalised * scale + offset."""

    mesh: MeshData
    colors: np.ndarray
    rig: AutoRigResult
    footage: FootageFrames
    generated: GeneratedViews
    reconstruction: Reconstruction
    motion: MotionRig
    cameras: OrthoCameras
    to_scene: tuple
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def report(self) -> dict:
        """JSON-friendly summary."""
        r = self.rig.report()
        if self.footage is not None:
            r.update({"source": self.footage.source, "frames_used": [int(i) for i in self.footage.indices],
                      "frames_in_clip": int(self.footage.n_frames)})
        r.update({
            "faces": int(len(self.mesh.faces)),
            "cameras": self.cameras.to_dict(), "sampling_steps": int(self.generated.steps),
            "sampling_runtime": self.generated.runtime,
            "joints_from_motion": int(self.motion.n_moved),
            "pivots": [{"parent": e.parent, "child": e.child, "used": bool(e.used), "motion": round(e.motion, 4),
                        "residual": round(float(e.residual), 4) if np.isfinite(e.residual) else None,
                        "why": e.reason} for e in self.motion.estimates],
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
            "warnings": list(self.warnings),
        })
        return r


def bone_parts(parents: np.ndarray, part_to_bone: np.ndarray) -> np.ndarray:
    """(B,) part of every bone: walk up from a bone to the first bone of a part's chain."""
    first = {int(b): k for k, b in enumerate(part_to_bone)}
    out = np.zeros(len(parents), np.int64)
    for b in range(len(parents)):  # loop over bones (tens)
        a = b
        while a not in first and parents[a] >= 0:
            a = int(parents[a])
        out[b] = first.get(a, 0)
    return out


def part_parents(parents: np.ndarray, part_to_bone: np.ndarray) -> np.ndarray:
    """(P,) parent part of every part (-1 for the root part)."""
    bp = bone_parts(parents, part_to_bone)
    pb = parents[np.asarray(part_to_bone)]
    return np.where(pb >= 0, bp[np.maximum(pb, 0)], -1)


def lift_labels(rec: Reconstruction, gen: GeneratedViews, frame: int = 0, options: LiftOptions | None = None):
    """Per-vertex part labels of the reconstructed mesh from the generated part maps of
    ``frame`` (``engine.parts.lift.lift_part_colors`` with the mesh rasterised in the
    generated views; options default ``FootageOptions().lift``). Returns the LiftResult."""
    from ..parts.lift import lift_part_colors

    options = options or FootageOptions().lift
    face, bary, _ = rasterize_views(rec.mesh.vertices, rec.mesh.faces, gen.cameras)
    alpha = gen.alpha[frame] * (face >= 0)
    return lift_part_colors(rec.mesh, face, gen.part[frame], alpha, bary=bary, options=options)


def reconstruction_views(gen: GeneratedViews, footage: FootageFrames | None = None,
                         frame: int = 0) -> tuple[np.ndarray, np.ndarray, tuple]:
    """The images the mesh is carved from: (V, S, S, 3) RGB in [0, 1], (V, S, S) {0, 1}
    silhouettes of ``frame``, and the indices of the observed views among them (for
    ``reconstruct(trusted=...)``). View 0 is the footage camera, so where the footage is
    given (and framed at the model's size) its own crop and mask replace the regenerated
    view 0: an observation beats the model's copy of it, and it always carves. The other
    views are the generated ones."""
    rgb, alpha = gen.rgb[frame].copy(), gen.alpha[frame].copy()
    if footage is not None and footage.rgba.shape[1:3] == alpha.shape[1:]:
        rgb[0], alpha[0] = footage.rgba[frame, ..., :3], footage.rgba[frame, ..., 3] > 0.5
        return rgb, alpha, (0,)
    return rgb, alpha, ()


def rig_footage(source: str, options: FootageOptions | None = None, progress: ProgressFn | None = None,
                model=None) -> FootageResult:
    """Reconstruct and rig the object seen in ``source`` (movie file or folder of frames).

    model: an already-loaded SP4D model (else ``options.model`` is loaded).
    Raises InputError (bad footage), ModelError (weights), Cancelled (via ``progress``)."""
    o = options or FootageOptions()
    stages = StagedProgress(progress, {"intake": 0.5, "generate": 10.0, "rig": 5.0})
    size = model_shape(model if model is not None else o.model)[0]
    foot = stages.run("intake", lambda progress: load_footage(
        source, o.frames, o.indices, size, o.mask, o.crop, o.threshold))
    gen = stages.run("generate", lambda progress: generate_views(
        foot.rgba, model or o.model, o.device, o.steps, o.seed, o.azimuth_deg, o.elevation_deg, progress=progress,
        runtime=o.runtime))
    result = stages.run("rig", rig_views, gen, o, footage=foot)
    result.timings = {"intake": stages.timings["intake"], "generate": stages.timings["generate"], **result.timings}
    result.rig.timings = dict(result.timings)
    return result


def rig_views(gen: GeneratedViews, options: FootageOptions | None = None, footage: FootageFrames | None = None,
              progress: ProgressFn | None = None) -> FootageResult:
    """Everything after generation: reconstruct frame 0, lift parts, skeleton, pivots
    from the T frames, weights. ``gen`` may also hold true renders (an oracle for tests
    and benchmarks: it isolates reconstruction and rigging from the model's quality)."""
    from ..rig import skeleton_from_parts
    from ..skin import SkinOptions, compute_weights

    o = options or FootageOptions()
    stages = StagedProgress(progress, {"reconstruct": 1.0, "parts": 1.0, "skeleton": 1.0, "motion": 1.0,
                                       "skinning": 2.0})
    warnings: list[str] = []
    rgb0, alpha0, observed = reconstruction_views(gen, footage)
    rec = stages.run("reconstruct", lambda progress: reconstruct(
        rgb0, alpha0, gen.cameras, o.resolution, o.target_faces, tolerance=o.tolerance, trusted=observed))
    lift = stages.run("parts", lambda progress: lift_labels(rec, gen, options=o.lift))

    # scene space: longest side o.size, resting on z = 0, centred in x/y
    vn = rec.mesh.vertices
    lo, hi = vn.min(0), vn.max(0)
    scale = o.size / float(max((hi - lo).max(), 1e-9))
    offset = -np.array([0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1]), lo[2]]) * scale
    to_scene = lambda p: p * scale + offset
    mesh = MeshData(to_scene(vn), rec.mesh.faces, object_names=["footage"])

    rig = stages.run("skeleton", lambda progress: skeleton_from_parts(mesh, lift.labels))
    warnings += list(rig.warnings)
    motion = MotionRig()
    if o.use_motion and len(gen.part) >= 3 and len(rig.part_to_bone) > 1:
        def _motion(progress):
            P = len(rig.part_to_bone)
            # colour of each rig part: the decoded colour of its vertices' lifted label
            colors = np.stack([lift.centroids_color[np.bincount(lift.labels[rig.labels == k],
                                                                minlength=len(lift.centroids_color)).argmax()]
                               for k in range(P)])
            pm = part_motion(gen.part, gen.alpha, colors, gen.cameras)
            interface = (rig.skeleton.heads[rig.part_to_bone] - offset) / scale
            est = estimate_pivots(pm, part_parents(rig.skeleton.parents, rig.part_to_bone), interface)
            move_joints(rig.skeleton, rig.part_to_bone, est.estimates, to_world=to_scene)
            return est
        motion = stages.run("motion", _motion)
    weights = stages.run("skinning", compute_weights, mesh, rig.skeleton, SkinOptions(max_influences=o.max_influences),
                         part_labels=rig.labels, part_to_bone=rig.part_to_bone)
    result = AutoRigResult(rig.skeleton, weights, rig.labels, rig.part_to_bone, rig.symmetric,
                           dict(stages.timings), warnings, gen)
    return FootageResult(mesh, rec.colors, result, footage, gen, rec, motion, gen.cameras, (scale, offset),
                         dict(stages.timings), warnings)


def model_shape(model=None) -> tuple[int, int]:
    """(sample_size, num_views) of a loaded model, a model folder or (None) the bundled
    model, read from its config without loading weights; (96, 8) when a folder has no
    config (a hub id)."""
    if hasattr(model, "config"):
        return int(model.config.sample_size), int(model.config.num_views)
    import json
    import os

    from ..runtime.model_files import default_model_dir

    cfg = os.path.join(model or default_model_dir(), "config.json")
    if not os.path.isfile(cfg):
        return 96, 8
    with open(cfg) as f:
        c = json.load(f)
    return int(c.get("sample_size", 96)), int(c.get("num_views", 8))
