"""Auto-Rig, engine side: mesh arrays -> kinematic parts -> skeleton -> skinning weights.

This is the one code path behind the add-on's Auto-Rig button and ``sp4d autorig``; the
Blender layer only converts data in and out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from .mesh import MeshData, clean_mesh
from .parts.lift import LiftOptions
from .progress import ProgressFn, StagedProgress
from .rig import Skeleton, SkinWeights

SEGMENTERS = ("sp4d", "geometric")
log = logging.getLogger(__name__)


@dataclass
class AutoRigOptions:
    """segmenter: 'sp4d' (the diffusion model) or 'geometric' (model-free baseline).
    model: local folder or hub id of SP4D weights (None = the bundled checkpoint).
    steps: diffusion sampling steps; samples: orbits of views generated and averaged on the
    vertices (each costs one sampling run); max_influences: skinning influences per vertex.
    proxy_above: meshes with more vertices than this are rigged on a decimated proxy of
    about ``proxy_vertices`` vertices and the labels/weights carried back to every
    vertex (0 or None = never); proxy_neighbours: proxy vertices blended per vertex.
    runtime: how SP4D runs: 'torch' (diffusers pipeline, CPU or CUDA), 'onnx' (ONNX Runtime
    on the CPU, no torch needed: Blender's own Python) or 'auto' (``engine.runtime.resolve_runtime``:
    onnx on the CPU when it has a graph for the model, else torch).
    lift: how SP4D's part-colour maps become vertex labels (``engine.parts.lift.LiftOptions``:
    colour bandwidth, refinement on the mesh...)."""

    segmenter: str = "sp4d"
    model: str | None = None
    device: str = "cpu"
    steps: int | None = None
    samples: int = 1
    seed: int = 0
    max_influences: int = 4
    allow_download: bool = False
    proxy_above: int | None = 300_000
    proxy_vertices: int = 100_000
    proxy_neighbours: int = 4
    # biped rigs rebuilt as the standard humanoid skeleton (engine.rig.humanoid): hips under
    # a ground root, spine bones, neck, head, shoulders...; names 'blender' or 'mixamo'
    humanoid: bool = False
    bone_naming: str = "blender"
    # bones per central chain (engine.rig.chains); 0 = as the parts give them (a humanoid
    # rebuild: 3 spine bones)
    spine_bones: int = 0
    neck_bones: int = 0
    tail_bones: int = 0
    # paired joints made exact mirrors (and weights mirrored) when the object is mirror-symmetric
    symmetry: bool = True
    # which way the object faces (FRONTS): "auto" estimates it from the mesh (eyes and other
    # small pieces in front of the head; for a long body, the end its top sits at), else the
    # artist's world axis; names, rolls and the humanoid root follow it
    front: str = "auto"
    runtime: str = "auto"
    lift: LiftOptions = field(default_factory=LiftOptions)


@dataclass
class AutoRigResult:
    """skeleton: the new bones (world space); weights: per original vertex (N rows);
    labels: (N,) part id per vertex; part_to_bone: (P,) bone driving each part;
    timings: stage -> seconds; parts: the SP4D generation result (frames, part maps,
    cameras) when the model ran, else None (for a mesh rigged on a proxy, its labels
    are per proxy vertex)."""

    skeleton: Skeleton
    weights: SkinWeights
    labels: np.ndarray
    part_to_bone: np.ndarray
    symmetric: bool
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    parts: object = None
    # how the rig was made: segmenter, seed and, for SP4D, the model (name, class, training
    # step, weights hash), sampling steps and the device it ran on
    provenance: dict = field(default_factory=dict)

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
            "provenance": dict(self.provenance),
        }

    def made_with(self) -> str:
        """One phrase for messages: 'sp4d sp4d-compact@18924 (4 steps, cpu, seed 0)'."""
        p = self.provenance
        if p.get("segmenter") != "sp4d":
            return f"{p.get('segmenter', '?')} segmentation (seed {p.get('seed', 0)})"
        m = p.get("model", {})
        tag = f"{m.get('name')}@{m['step']}" if m.get("step") is not None else str(m.get("name"))
        return f"sp4d {tag} ({p.get('steps')} steps, {p.get('device')}, seed {p.get('seed')})"


def segment_parts(mesh: MeshData, options: AutoRigOptions, progress: ProgressFn | None = None, *, predict=None,
                  cleaned=None):
    """Per-vertex kinematic part labels (N,) and the SP4D result (or None).

    On a CUDA device that runs out of memory, SP4D runs again on the CPU; the result's
    warnings say so and its provenance names the device it really ran on. predict: the
    call that runs SP4D, ``predict(mesh, device=..., **kwargs)`` (default
    ``engine.pipelines.parts_for_mesh.predict_parts``); cleaned: ``clean_mesh(mesh)`` when the
    caller already welded it (the lifting then reuses it); tests pass a predict that fails on a
    device, to check that fallback without a GPU."""
    if options.segmenter == "geometric":
        from .segment.geometric import segment_geometric

        labels = segment_geometric(mesh, seed=options.seed)
        if progress:
            progress(1.0, "geometric segmentation")
        return labels, None
    if options.segmenter != "sp4d":
        from .errors import InputError

        raise InputError(f"unknown segmenter '{options.segmenter}': use one of {', '.join(SEGMENTERS)}")
    from .pipelines.parts_for_mesh import DEFAULT_STEPS, predict_parts
    from .runtime import resolve_runtime, torch_available
    from .runtime.model_files import describe_model

    # a CUDA request picks torch when it can run it; otherwise the runtime is chosen for the CPU
    wants_cuda = options.runtime != "onnx" and str(options.device).startswith("cuda") and torch_available()
    runtime = resolve_runtime(options.runtime, options.device if wants_cuda else "cpu", options.model)
    predict = predict or predict_parts
    kwargs = dict(model_dir=options.model, seed=options.seed, progress=progress,
                  steps=options.steps or DEFAULT_STEPS, samples=options.samples, runtime=runtime, lift=options.lift,
                  cleaned=cleaned)
    if runtime == "onnx":
        device = "cpu"
        warnings = [] if options.device == "cpu" else [f"the onnx runtime runs on the CPU, not {options.device}"]
        result = predict(mesh, device=device, **kwargs)
    else:
        device, warnings = resolve_device(options.device)
        try:
            result = predict(mesh, device=device, **kwargs)
        except torch_oom_error() as exc:
            if not str(device).startswith("cuda"):
                raise
            # the GPU is busy or too small: the CPU is slower but always has room
            first = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
            warnings.append(f"CUDA ran out of memory ({first}); ran SP4D on the CPU")
            log.info(warnings[-1])
            device = "cpu"
            result = predict(mesh, device=device, **kwargs)
    result.warnings = list(getattr(result, "warnings", []) or []) + warnings
    result.provenance = {"model": describe_model(options.model), "steps": int(kwargs["steps"]), "device": device,
                         "runtime": runtime}
    return result.labels, result


def resolve_device(device: str) -> tuple[str, list[str]]:
    """The torch device to use and warnings: 'cuda' falls back to 'cpu' when unavailable."""
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            return "cpu", ["CUDA was requested but no CUDA device is available; ran SP4D on the CPU"]
    return device, []


def torch_oom_error() -> type:
    import torch

    return torch.cuda.OutOfMemoryError


def autorig(mesh: MeshData, options: AutoRigOptions | None = None,
            progress: ProgressFn | None = None) -> AutoRigResult:
    """Rig ``mesh`` (all objects together): parts, skeleton, weights.

    Meshes above ``options.proxy_above`` vertices are rigged on a vertex-clustering proxy
    (``engine.mesh.proxy``) and the part labels and weights transferred back to every
    original vertex (``engine.skin.transfer``); the result then carries the warning
    "rigged on a N-vertex proxy" and the extra stages "proxy" and "transfer" in timings.

    Raises InputError for unusable meshes, ModelError for missing weights, and whatever
    ``progress`` raises (e.g. Cancelled) between steps.
    """
    from .skin import SkinOptions, compute_weights

    options = options or AutoRigOptions()
    mesh.validate()
    front_vector(options.front)   # a bad setting fails before the model runs
    use_proxy = uses_proxy(mesh, options)
    weights_by_stage = {"parts": 6.0, "skeleton": 1.0, "skinning": 3.0}
    if use_proxy:
        weights_by_stage = {"proxy": 0.3, **weights_by_stage, "transfer": 0.3}
    stages = StagedProgress(progress, weights_by_stage)
    proxy, work = None, mesh
    if use_proxy:
        from .mesh.proxy import decimate

        proxy = stages.run("proxy", lambda progress: decimate(mesh, options.proxy_vertices))
        work = proxy.mesh
    def parts_stage(progress):
        # welded once for lifting and skeleton (skinning welds across objects: its own rule)
        cleaned = clean_mesh(work)
        return cleaned, segment_parts(work, options, progress, cleaned=cleaned)

    cleaned, (labels, parts) = stages.run("parts", parts_stage)

    rig, (skeleton, skin_labels, skin_parts, rig_warnings) = stages.run(
        "skeleton", lambda progress: skeleton_stage(work, labels, options, cleaned))
    weights = stages.run(
        "skinning", compute_weights, work, skeleton,
        SkinOptions(max_influences=options.max_influences,
                    mirror_tol=SkinOptions.mirror_tol if options.symmetry else 0.0),
        part_labels=skin_labels, part_to_bone=skin_parts)
    labels, warnings = rig.labels, list(getattr(parts, "warnings", None) or []) + rig_warnings
    if proxy is not None:
        weights, labels = stages.run("transfer", lambda progress: _from_proxy(proxy, mesh, weights, labels, options))
        warnings.append(f"rigged on a {proxy.n_vertices}-vertex proxy of the {mesh.n_vertices}-vertex mesh")
    provenance = {"segmenter": options.segmenter, "seed": int(options.seed),
                  **(getattr(parts, "provenance", None) or {})}
    part_to_bone = rig.part_to_bone if skeleton is rig.skeleton else skin_parts[_first_label(skin_labels, rig)]
    return AutoRigResult(skeleton, weights, labels, part_to_bone, rig.symmetric,
                         stages.timings, warnings, parts, provenance)


def uses_proxy(mesh: MeshData, options: AutoRigOptions) -> bool:
    """Whether Auto-Rig works on a decimated proxy of ``mesh`` (above ``proxy_above``)."""
    return bool(options.proxy_above) and mesh.n_vertices > options.proxy_above


# the world directions an artist can name as the object's front (Blender axes, Z up)
FRONTS = {"auto": None, "-Y": (0.0, -1.0, 0.0), "+Y": (0.0, 1.0, 0.0), "-X": (-1.0, 0.0, 0.0), "+X": (1.0, 0.0, 0.0)}


def front_vector(front: str):
    """(3,) world direction of a ``FRONTS`` name (None for "auto"); InputError otherwise."""
    if front not in FRONTS:
        from .errors import InputError

        raise InputError(f"unknown front '{front}': use one of {', '.join(FRONTS)}")
    return FRONTS[front]


def skeleton_stage(mesh: MeshData, labels: np.ndarray, options: AutoRigOptions, cleaned=None):
    """Auto-Rig's skeleton stage: (the part rig of ``labels`` (N,), (skeleton, skinning
    labels, label -> bone, warnings) of it or of its humanoid rebuild / resampled chains).
    cleaned: ``clean_mesh(mesh)`` when the caller already welded it."""
    from .rig import skeleton_from_parts

    part_rig = skeleton_from_parts(mesh, labels, symmetrize=options.symmetry, cleaned=cleaned,
                                   front=front_vector(options.front))
    return part_rig, _humanoid_or_parts(mesh, part_rig, options)


def _humanoid_or_parts(mesh: MeshData, rig, options: AutoRigOptions):
    """(skeleton, skinning labels (N,), label -> bone (L,), warnings) of the part rig, or of
    its standard humanoid rebuild when ``options.humanoid`` and the rig is a biped."""
    warnings = list(rig.warnings)
    if options.humanoid:
        from .rig.humanoid import humanoid_from_rig

        hum, why = humanoid_from_rig(mesh, rig, spine_bones=options.spine_bones or 3, naming=options.bone_naming)
        if hum is not None:
            return hum.skeleton, hum.labels, hum.part_to_bone, warnings
        warnings.append(f"not rebuilt as a humanoid ({why}): kept the skeleton from the parts")
    counts = {"spine": options.spine_bones, "neck": options.neck_bones, "tail": options.tail_bones}
    if any(counts.values()):
        from .rig.chains import resample_chains

        ch = resample_chains(mesh.vertices, rig.skeleton, rig.labels, rig.part_to_bone, counts)
        return ch.skeleton, ch.labels, ch.label_to_bone, warnings + ch.warnings
    return rig.skeleton, rig.labels, rig.part_to_bone, warnings


def _first_label(skin_labels: np.ndarray, rig) -> np.ndarray:
    """(P,) for each part, the skinning label most of its vertices took (the bone that
    drives the part in the humanoid rig)."""
    out = np.zeros(len(rig.part_to_bone), np.int64)
    for p in range(len(out)):
        lab = skin_labels[rig.labels == p]
        lab = lab[lab >= 0]
        out[p] = np.bincount(lab).argmax() if len(lab) else 0
    return out


def _from_proxy(proxy, mesh: MeshData, weights: SkinWeights, labels: np.ndarray,
                options: AutoRigOptions) -> tuple[SkinWeights, np.ndarray]:
    """Proxy weights and labels -> per original vertex (N rows)."""
    from .skin.transfer import transfer_labels, transfer_weights

    pv = proxy.mesh.vertices
    # a tenth of a cell: vertices on a proxy vertex still blend smoothly with its neighbours
    eps = 0.1 * proxy.cell_size
    w = transfer_weights(weights, pv, proxy.shell_ids, mesh.vertices, proxy.source_shell,
                         k=options.proxy_neighbours, max_influences=options.max_influences, eps=eps)
    lab = transfer_labels(labels, pv, proxy.shell_ids, mesh.vertices, proxy.source_shell)
    return w, lab
