"""Training data: a pool of meshes built by CPU workers, rendered fresh on the GPU every step.

CPU-side generation starves a GPU (a procedural creature costs ~0.1 s of marching cubes),
so objects are generated ONCE per chunk by a process pool into a ``MeshPool`` that lives
on the GPU; every step then draws objects, cameras, mirror/stretch augmentation and
lighting on the GPU and renders all conditioning and target images there.

Sources:
- procedural objects from ``engine.synth`` (seeds below ``HELDOUT_SEED0``; evaluation uses
  seeds from ``HELDOUT_SEED0`` on and never trains on them), each in its rest pose and a
  random pose (two pool entries: the colour encoding is taken from the rendered frame,
  which is the first frame of a one-frame clip);
- real rigged models extracted from ``shared/train_assets`` (never ``shared/assets``):
  part = argmax bone weight, exact ties broken towards the deeper bone, tiny bones merged
  into their parent as the synth does (``bones_to_parts``).
"""

from __future__ import annotations

import copy
import glob
import logging
import math
import os
import threading

import numpy as np
import torch

from ..models.views import MeshPool, PackedMesh, build_cond, pack_mesh, render_views

HELDOUT_SEED0 = 10_000_000

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------- labels
def bone_depths(parents: np.ndarray) -> np.ndarray:
    """(B,) depth of every bone in its tree (roots 0)."""
    parents = np.asarray(parents)
    d = np.zeros(len(parents), np.int64)
    for b in range(len(parents)):
        p, k = parents[b], 0
        while p >= 0 and k < 1000:
            p, k = parents[p], k + 1
        d[b] = k
    return d


def labels_from_weights(weights: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """(N, B) skin weights -> (N,) part = argmax bone; exact ties go to the deeper bone
    (the Quaternius guns weight every moving piece 0.5 root / 0.5 own bone)."""
    w = np.asarray(weights, np.float64)
    vb = np.argmax(w + 1e-6 * bone_depths(parents)[None] * (w > 0), axis=1)
    try:  # the synth's part convention: bones owning < 0.4% of the vertices join their parent
        from ..synth.generator import bones_to_parts
        return bones_to_parts(vb, np.asarray(parents))[vb]
    except ImportError:
        return vb


def load_rigged_npz(path: str):
    """(vertices, faces, labels) of a RiggedModel .npz."""
    return posed_rigged_npz(path, 0)[0]


def posed_rigged_npz(path: str, poses: int, rng: np.random.Generator | None = None,
                     max_angle: float = 0.5, shapes: int = 0,
                     spread: tuple[float, float] = (0.3, 0.2)) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The rest pose of a RiggedModel .npz, ``poses`` random poses of it and ``shapes``
    re-proportioned copies of it, each as (vertices (N, 3), faces (F, 3), labels (N,)).

    The artist's weights move the mesh (``engine.skin.lbs``). A pose turns every bone by
    up to ``max_angle`` radians about a random axis, root bones kept still so the object
    stays upright. A shape stretches every bone by ``exp(U(-a, a))`` along itself and
    ``exp(U(-c, c))`` across, (a, c) = ``spread``, mirror-image bones alike
    (``random_proportions``): longer legs, a thicker neck, a bigger head, still the
    artist's model. The labels are the rest pose's: a part moves (and stretches) as one,
    so its vertices stay one part. The 50 real training models are seen ~12 times a step
    in their rest pose; poses and shapes give the model real shapes it has not seen
    (notes/TRAINING.md, sessions 27 and 34)."""
    from ..eval.reference import RiggedModel
    from ..skin.lbs import pose_vertices, random_pose, random_proportions

    m = RiggedModel.load(path)
    labels = labels_from_weights(m.weights, m.skeleton.parents)
    out = [(m.mesh.vertices, m.mesh.faces, labels)]
    if poses > 0 or shapes > 0:
        rng = rng or np.random.default_rng(0)
        # vertices no bone weights (rare) follow the root, as Blender leaves them in place
        w = np.asarray(m.weights, np.float64)
        loose = w.sum(axis=1) <= 0
        if loose.any():
            w = w.copy()
            w[loose, int(np.flatnonzero(np.asarray(m.skeleton.parents) < 0)[0])] = 1.0
        moves = ([random_pose(m.skeleton, rng, max_angle, turn_roots=False) for _ in range(poses)]
                 + [random_proportions(m.skeleton, rng, *spread) for _ in range(shapes)])
        out += [(pose_vertices(m.mesh.vertices, w, T), m.mesh.faces, labels) for T in moves]
    return out


# ----------------------------------------------------------------------- synth
def synth_meshes(seed: int) -> list[PackedMesh]:
    """One procedural object -> its rest and posed meshes, packed (in the worker: the
    normalisation and part-colour encoding must not run on the training thread)."""
    rng = np.random.default_rng(seed)
    from ..synth.generator import generate

    obj = generate(seed, n_frames=2)
    return _object_entries(obj, rng)


def _get(o, *names):
    for n in names:
        if isinstance(o, dict) and n in o:
            return o[n]
        if hasattr(o, n):
            return getattr(o, n)
    return None


def _object_entries(obj, rng):
    """Whatever the synth returns -> PackedMesh entries (rest, and last frame if posed)."""
    v = np.asarray(_get(obj, "vertices", "verts"), np.float64)
    f = np.asarray(_get(obj, "faces"), np.int64)
    lab = _get(obj, "vertex_part", "labels", "parts")
    if lab is None:
        lab = labels_from_weights(_get(obj, "weights"), _get(obj, "parents"))
    lab = np.asarray(lab, np.int64)
    col = _get(obj, "colors", "vertex_colors", "albedo")
    col = None if col is None else np.asarray(col, np.float32)
    out = [pack_mesh(v, f, lab, col)]
    frames = _get(obj, "frames", "posed_vertices")
    if frames is not None and len(frames) > 1:
        out.append(pack_mesh(np.asarray(frames[-1], np.float64), f, lab, col))
    return out


def _init_worker():
    # one thread per worker: 14 workers x N BLAS/OpenMP threads would oversubscribe
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        torch.set_num_threads(1)
    except Exception:
        pass


def _worker(seed):
    try:
        return synth_meshes(seed)
    except Exception as e:  # one bad object must not stop the pool
        return ("error", seed, repr(e)[:200])


class PoolBuilder:
    """Generates procedural objects in background processes while training runs.

    ``take()`` returns the entries produced since the last call. Start it first, train on
    what is there, merge more in as it arrives.
    """

    def __init__(self, seeds, workers: int):
        self.entries, self.errors, self.lock = [], [], threading.Lock()
        self.done = False
        self.pool = None
        self.thread = threading.Thread(target=self._run, args=(list(seeds), workers), daemon=True)
        self.thread.start()

    def _run(self, seeds, workers):
        import multiprocessing as mp

        # spawn, not fork: forking from this thread while the main thread holds CUDA /
        # OpenMP locks deadlocked every worker on the device (0 objects in 120 s)
        ctx = mp.get_context("spawn")
        self.pool = ctx.Pool(workers, initializer=_init_worker)
        with self.pool as p:
            for r in p.imap_unordered(_worker, seeds, chunksize=2):
                with self.lock:
                    if isinstance(r, tuple) and r and r[0] == "error":
                        self.errors.append(r)
                    else:
                        self.entries.extend(r)
        self.done = True

    def close(self):
        """Stop the workers (they hold the parent's stdout open)."""
        if self.pool is not None:
            self.pool.terminate()

    def take(self):
        with self.lock:
            e, self.entries = self.entries, []
        return e


# ----------------------------------------------------------------------- GPU sampler
def frame_like_footage(pool: MeshPool, which: torch.Tensor, azimuth: torch.Tensor, elevation: torch.Tensor) -> MeshPool:
    """Place the objects ``which`` (n,) bool as the footage intake frames an object: its
    silhouette in view 0 (azimuth / elevation (n,) radians) centred on its 2D bounding
    box, the box's longest side ``OBJECT_FRACTION`` of the image (``engine.footage.intake``),
    depth along view 0 left at the 3D box centre. Footage-mode samples then see the input
    framed as at inference and learn views consistent with it; the others keep the unit
    cube of the mesh path. Returns ``pool`` with new vertices (a translation and a
    uniform scale per object: normals stay valid)."""
    from ..footage.intake import OBJECT_FRACTION
    from ..models.raster import EXTENT, camera_frames

    if not bool(which.any()):
        return pool
    _, r, u = camera_frames(azimuth, elevation)             # view 0's screen axes (n, 3)
    o = pool.vert_obj
    xy = torch.stack([(pool.verts * r[o]).sum(1), (pool.verts * u[o]).sum(1)], -1)   # (N, 2)
    lo, hi = object_bounds(xy, o, len(which))
    c = 0.5 * (lo + hi)
    scale = OBJECT_FRACTION * 2 * EXTENT / (hi - lo).max(1).values.clamp_min(1e-9)
    scale = torch.where(which, scale, torch.ones_like(scale))
    shift = torch.where(which[:, None], c[:, :1] * r + c[:, 1:] * u, torch.zeros_like(r))
    out = copy.copy(pool)
    out.verts = (pool.verts - shift[o]) * scale[o][:, None]
    return out


def object_bounds(x: torch.Tensor, obj: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-object minimum and maximum (n, C) of per-vertex values x (N, C); obj (N,) in 0..n-1."""
    big = torch.full((n, x.shape[1]), 1e9, device=x.device, dtype=x.dtype)
    idx = obj[:, None].expand(-1, x.shape[1])
    return big.scatter_reduce(0, idx, x, "amin"), (-big).scatter_reduce(0, idx, x, "amax")


class GPUData:
    """Holds the mesh pools on the device and renders training batches.

    batch(): dict with cond (B,V,1,16,H,W), rgb / part targets (B,V,1,3,H,W), alpha
    (B,V,1,1,H,W), part_id (B,V,1,H,W), azimuth / elevation (B,V), known (B,V).
    """

    def __init__(self, device, size: int, n_views: int, p_real: float = 0.25, p_footage: float = 0.2,
                 seed: int = 0):
        self.device, self.size, self.v = device, size, n_views
        self.p_real, self.p_footage = p_real, p_footage
        self.g = torch.Generator(device=device).manual_seed(seed)
        self.synth = None
        self.real = None

    def add_synth(self, entries, max_objects: int = 12000):
        """Append new procedural entries (PackedMesh, or (v, f, labels, albedo) tuples) to
        the GPU pool, incrementally; stops growing at ``max_objects``."""
        if not entries:
            return
        have = 0 if self.synth is None else self.synth.n_objects
        entries = entries[: max(0, max_objects - have)]
        if not entries:
            return
        items = [e if isinstance(e, PackedMesh) else pack_mesh(*e) for e in entries]
        # albedo always: concat keeps it only when both pools have one
        new = MeshPool.from_packed(items, self.device, albedo=True)
        self.synth = new if self.synth is None else self.synth.concat(new)

    def set_real(self, meshes):
        """meshes: list of (v, f, labels)."""
        self.real = MeshPool.from_arrays(meshes, self.device)

    def _rand(self, *shape):
        return torch.rand(*shape, device=self.device, generator=self.g)

    def batch(self, b: int):
        n_real = 0
        if self.real is not None:
            n_real = int((self._rand(b) < self.p_real).sum()) if self.synth is not None else b
        parts = []
        if b - n_real > 0:
            parts.append(("synth", b - n_real))
        if n_real:
            parts.append(("real", n_real))
        outs = [self._render(src, n) for src, n in parts]
        return {k: torch.cat([o[k] for o in outs]) for k in outs[0]}

    def _render(self, src, n):
        dev, v = self.device, self.v
        pool = self.synth if src == "synth" else self.real
        n = min(n, pool.n_objects)
        idx = torch.randperm(pool.n_objects, device=dev, generator=self.g)[:n]
        sub = pool.subset(idx)
        # albedo: the synth's own vertex colours part of the time, else grey or a tint
        alb = sub.albedo if sub.albedo is not None else torch.full_like(sub.verts, 0.7)
        mode = self._rand(n)
        tint = 0.35 + 0.6 * self._rand(n, 3)
        per_obj = torch.where((mode < 0.3)[:, None], torch.full_like(tint, 0.7), tint)
        use_own = (mode > 0.55) if src == "synth" else torch.zeros_like(mode, dtype=torch.bool)
        base = per_obj[sub.vert_obj]
        alb = torch.where(use_own[sub.vert_obj][:, None], alb, base)
        alb = (alb + 0.04 * torch.randn(alb.shape, device=dev, generator=self.g)).clamp(0, 1)
        # augmentation: mirror X and stretch axes, applied to geometry and colour alike
        sub = self._augment(sub, n)
        az0 = self._rand(n, 1) * 2 * math.pi
        az = az0 + torch.arange(v, device=dev)[None] * (2 * math.pi / v) + (self._rand(n, v) - 0.5) * 0.15
        el = (self._rand(n, 1) * 40 - 5 + (self._rand(n, v) - 0.5) * 10) * (math.pi / 180)
        light = None
        if self._rand(1).item() < 0.5:
            light = torch.nn.functional.normalize(torch.randn(n, 3, device=dev, generator=self.g)
                                                  + torch.tensor([0, -0.5, 1.2], device=dev), dim=-1)
        known = (self._rand(n, 1) >= self.p_footage).float().expand(n, v)
        sub = frame_like_footage(sub, known[:, 0] < 0.5, az[:, 0], el[:, 0])
        views = render_views(sub, az, el, self.size, albedo=alb, light=light)
        cond = build_cond(views, known)
        ch = lambda t: t.permute(0, 1, 4, 2, 3)[:, :, None].contiguous()
        return {"cond": cond, "rgb": ch(views["rgb"]), "part": ch(views["part"]), "alpha": ch(views["alpha"]),
                "part_id": views["part_id"][:, :, None], "azimuth": az, "elevation": el, "known": known}

    def _augment(self, sub: MeshPool, n: int) -> MeshPool:
        s = 0.8 + 0.4 * self._rand(n, 3)
        flip = (self._rand(n) < 0.5).float()
        s[:, 0] = s[:, 0] * (1 - 2 * flip)
        vs = sub.verts * s[sub.vert_obj]
        # renormalise each object to longest side 1, centred (the render convention)
        lo, hi = object_bounds(vs, sub.vert_obj, n)
        c = 0.5 * (lo + hi)
        sc = (hi - lo).max(1).values.clamp_min(1e-9)
        vs = (vs - c[sub.vert_obj]) / sc[sub.vert_obj][:, None]
        # colour: per-axis unit cube, so a stretch leaves it unchanged; a mirror flips x
        col = sub.color.clone()
        fl = flip[sub.vert_obj].bool()
        col[fl, 0] = 1 - col[fl, 0]
        from ..models.raster import vertex_normals
        out = MeshPool(vs, sub.faces, sub.vert_obj, sub.face_obj, col, sub.vert_part, sub.n_parts,
                       albedo=sub.albedo)
        out.normals = vertex_normals(vs, sub.faces)
        return out


# every TUNING_EVERY-th training model (sorted by file name, from the first) is the real
# tuning set (.cache/tune_assets): held out of SP4D training so that it measures out of sample
TUNING_EVERY = 4


def is_tuning_file(index: int, every: int = TUNING_EVERY) -> bool:
    """Whether the ``index``-th (0-based, sorted by name) training model is a tuning model."""
    return every > 0 and index % every == 0


def real_training_meshes(folder: str, holdout_every: int = 0, poses: int = 0, seed: int = 0,
                         max_angle: float = 0.5, shapes: int = 0) -> tuple[list, list[str]]:
    """All RiggedModel .npz in ``folder`` -> (list of (v, f, labels), errors): a file that
    does not load is skipped, logged and listed in ``errors`` as "name: reason".
    holdout_every: when > 0, the tuning models (``is_tuning_file``) are left out.
    poses: random poses added per model (``posed_rigged_npz``), drawn from ``seed`` (a
    chunk's seed, so every chunk sees new poses); shapes: re-proportioned copies added per
    model, drawn likewise."""
    out, errors = [], []
    rng = np.random.default_rng(seed)
    paths = sorted(glob.glob(os.path.join(folder, "*.npz")))
    for p in [p for i, p in enumerate(paths) if not is_tuning_file(i, holdout_every)]:
        try:
            out.extend(posed_rigged_npz(p, poses, rng, max_angle, shapes))
        except Exception as e:  # noqa: BLE001 - one bad asset must not stop a training run
            errors.append(f"{os.path.basename(p)}: {type(e).__name__}: {e}")
            log.warning("training asset %s not loaded: %s: %s", p, type(e).__name__, e)
    return out, errors


def check_training_seeds(seed0: int, n_seeds: int) -> None:
    """Raise ValueError unless synth seeds ``seed0 .. seed0 + n_seeds - 1`` are all training
    seeds (>= 0 and below ``HELDOUT_SEED0``, where evaluation's held-out seeds start)."""
    if n_seeds < 1:
        raise ValueError(f"--n-seeds must be at least 1, got {n_seeds}")
    if seed0 < 0:
        raise ValueError(f"--seed0 must be >= 0, got {seed0}")
    if seed0 + n_seeds > HELDOUT_SEED0:
        raise ValueError(f"seeds {seed0}..{seed0 + n_seeds - 1} reach the held-out seeds "
                         f"(>= HELDOUT_SEED0 = {HELDOUT_SEED0}), which are for evaluation only")
