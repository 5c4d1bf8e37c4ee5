"""Scoring one footage clip: the functions behind ``benchmarks/bench_footage.py`` and the
footage tests (silhouette IoU, Chamfer distance in the unit cube, the extruded-mask
baseline, skeleton distances of rigs made from generated, true and baseline views).

Shapes: masks (H, W) float in [0, 1]; meshes as vertices (V, 3) float and faces (F, 3) int;
distances in the unit cube each mesh is normalised to (footage has no scale).
"""

from __future__ import annotations

import tempfile
import time

import numpy as np

from ..footage.cameras import OrthoCameras
from ..footage.intake import load_footage
from ..footage.pipeline import model_shape, reconstruction_views
from ..footage.reconstruct import extract_surface, grid_points, rasterize_views, reconstruct
from ..footage.testclip import true_views, write_clip
from .footage_metrics import worst_value


def sample_surface(v: np.ndarray, f: np.ndarray, n: int = 20000, seed: int = 0) -> np.ndarray:
    """(n, 3) area-uniform points on a triangle mesh."""
    rng = np.random.default_rng(seed)
    a = np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), axis=1)
    fi = rng.choice(len(f), n, p=a / a.sum())
    u = rng.random((n, 2))
    flip = u.sum(1) > 1
    u[flip] = 1 - u[flip]
    p0 = v[f[fi, 0]]
    return p0 + u[:, :1] * (v[f[fi, 1]] - p0) + u[:, 1:] * (v[f[fi, 2]] - p0)


def unit_cube(v: np.ndarray) -> np.ndarray:
    lo, hi = v.min(0), v.max(0)
    return (v - 0.5 * (lo + hi)) / max((hi - lo).max(), 1e-12)


def chamfer(v1, f1, v2, f2) -> float:
    """Symmetric mean Chamfer distance of two meshes, each normalised to its own unit cube."""
    from scipy.spatial import cKDTree

    a, b = sample_surface(unit_cube(v1), f1), sample_surface(unit_cube(v2), f2)
    return 0.5 * float(cKDTree(b).query(a)[0].mean() + cKDTree(a).query(b)[0].mean())


def _similarity(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Least-squares similarity (scale s, rotation R, translation t) with s R src + t ~ dst
    for paired points (n, 3) (Umeyama 1991; closed form by SVD)."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    U, S, Vt = np.linalg.svd(b.T @ a / len(a))
    D = np.diag([1.0, 1.0, np.sign(np.linalg.det(U @ Vt))])
    R = U @ D @ Vt
    s = float(np.trace(np.diag(S) @ D) / max((a * a).sum() / len(a), 1e-300))
    return s, R, mu_d - s * R @ mu_s


def aligned_error(v_rec, f_rec, v_true, f_true, iterations: int = 30, n: int = 8000) -> float:
    """Reconstruction error as a fraction of the true mesh's bounding-box diagonal: both
    meshes centred and scaled to a unit diagonal, the reconstruction aligned to the truth
    by ICP over similarity transforms (rotation and scale; started from 8 turns about the
    up axis and the best kept), then the symmetric mean Chamfer distance of surface samples.
    Footage fixes neither scale nor the turn about the up axis, so the best alignment is
    the fair one. ICP by hand: scipy has no point-set registration."""
    from scipy.spatial import cKDTree
    from scipy.spatial.transform import Rotation

    def unit(v):
        lo, hi = v.min(0), v.max(0)
        return (v - 0.5 * (lo + hi)) / max(float(np.linalg.norm(hi - lo)), 1e-12)

    a = sample_surface(unit(np.asarray(v_rec, float)), f_rec, n, seed=1)
    b = sample_surface(unit(np.asarray(v_true, float)), f_true, n, seed=2)
    tree_b, best = cKDTree(b), np.inf
    for yaw in np.arange(8) * 45.0:
        x = a @ Rotation.from_euler("z", yaw, degrees=True).as_matrix().T
        for _ in range(iterations):
            _, j = tree_b.query(x)
            s, R, t = _similarity(x, b[j])
            x = s * x @ R.T + t
        err = 0.5 * float(tree_b.query(x)[0].mean() + cKDTree(x).query(b)[0].mean())
        best = min(best, err)
    return best


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 0.5, b > 0.5
    u = (a | b).sum()
    return float((a & b).sum() / u) if u else 1.0


def extruded_baseline(mask: np.ndarray, cameras: OrthoCameras, resolution: int = 64):
    """The trivial baseline: the input-view mask (S, S) extruded along view 0's direction
    to a depth equal to its width. Returns (vertices, faces) in the normalised frame."""
    from scipy.ndimage import map_coordinates

    pts, h = grid_points(resolution)
    one = OrthoCameras(cameras.azimuth[:1], cameras.elevation[:1], cameras.size)
    px, depth = one.project(pts)
    inside = map_coordinates(mask.astype(np.float32), [px[0, :, 1] - 0.5, px[0, :, 0] - 0.5], order=1)
    ys, xs = np.nonzero(mask > 0.5)
    half_depth = 0.5 * (xs.ptp() + 1) / cameras.size * 2 * cameras.extent
    field = np.where(np.abs(depth[0]) <= half_depth, inside, 0.0).reshape((resolution,) * 3)
    return extract_surface(field, h)


def _bbox(mask: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre (x, y) in pixels and longest side of a mask's bounding box."""
    ys, xs = np.nonzero(mask > 0.5)
    lo, hi = np.array([xs.min(), ys.min()]), np.array([xs.max(), ys.max()]) + 1
    return 0.5 * (lo + hi), float((hi - lo).max())


def truth_placement(obj, frame: int, cams: OrthoCameras, input_alpha: np.ndarray) -> tuple[float, np.ndarray]:
    """Scale and offset (3,) of the unit-cube truth that give its view-0 silhouette the
    size and the 2D position the intake gave the object: both are what a monocular clip
    fixes (its crop), not properties of the generation. The offset lies in view 0's image
    plane; the depth along view 0, which the clip cannot tell, stays the 3D-box centre."""
    one = OrthoCameras(cams.azimuth[:1], cams.elevation[:1], cams.size)
    g = true_views(obj, one, [frame])
    c_in, s_in = _bbox(input_alpha)
    c_g, s_g = _bbox(g.alpha[0, 0])
    scale = s_in / s_g
    # the truth's bbox centre after scaling about the image centre, then the pixel shift
    half = cams.size / 2.0
    d = c_in - (half + (c_g - half) * scale)
    _, r, u = one.frames()
    offset = (d[0] * r[0] - d[1] * u[0]) * one.extent / half
    return scale, offset


def skeleton_scores(skeleton, mesh, obj, frame: int) -> dict:
    """CD-J2J / J2B / B2B (x10^-2, design.md) of ``skeleton`` (rigging ``mesh``) against
    the object's true posed skeleton at animation ``frame``, each placed by its own mesh's
    bounding box (a monocular clip fixes neither scale nor depth), and the bone counts."""
    import dataclasses

    from ..eval.skeleton_metrics import normalisation, skeleton_distances
    from ..mesh import MeshData

    gt = dataclasses.replace(obj.skeleton, heads=obj.joint_heads[frame], tails=obj.joint_tails[frame])
    gmesh = MeshData(obj.frames[frame], obj.faces)
    (c, s), (gc, gs) = normalisation(mesh), normalisation(gmesh)
    to_gt = lambda p: (p - c) * s / gs + gc  # through the unit box of each mesh
    sk = dataclasses.replace(skeleton, heads=to_gt(skeleton.heads), tails=to_gt(skeleton.tails))
    d = skeleton_distances(sk, gt, gmesh)
    return {"j2j": d.j2j, "j2b": d.j2b, "b2b": d.b2b, "bones": float(len(sk.heads)), "bones_true": float(len(gt.heads))}


def rig_skeleton_scores(gen, foot, obj, frame: int) -> dict:
    """Rig the views ``gen`` as the footage path does (``rig_views``) and score its skeleton."""
    from ..footage.pipeline import FootageOptions, rig_views

    res = rig_views(gen, FootageOptions(), footage=foot)
    return skeleton_scores(res.rig.skeleton, res.mesh, obj, frame)


def baseline_skeleton_scores(vertices, faces, obj, frame: int) -> dict:
    """The trivial rig: the extruded silhouette segmented without the model
    (``segment_geometric``, spectral clustering) and rigged by the same core."""
    from ..mesh import MeshData
    from ..rig import skeleton_from_parts
    from ..segment.geometric import segment_geometric

    mesh = MeshData(vertices, faces)
    return skeleton_scores(skeleton_from_parts(mesh, segment_geometric(mesh)).skeleton, mesh, obj, frame)


def evaluate(seed: int, model=None, steps: int | None = None, oracle_only: bool = False, work: str | None = None,
             azimuth_deg: float = 0.0, elevation_deg: float = 15.0, resolution: int = 64, rig: bool = False,
             runtime: str = "auto", sample_seed: int = 0) -> dict:
    """All numbers for one held-out clip (see the module docstring); rig: also rig the
    generated and the true views and the baseline mesh and score the skeletons. model: a
    loaded torch model, a folder or None (the bundled one); runtime: how a folder / the
    bundled model samples (``generate_views``); sample_seed: the sampler's noise seed."""
    work = work or tempfile.mkdtemp(prefix="sp4d-footage-")
    clip = write_clip(seed, work, azimuth_deg=azimuth_deg, elevation_deg=elevation_deg)
    size, n_views = model_shape(model)
    foot = load_footage(clip.video, 4, size=size)
    cams = OrthoCameras.orbit(n_views, size, azimuth_deg, elevation_deg)
    place = [truth_placement(clip.obj, int(t), cams, foot.rgba[i, ..., 3]) for i, t in enumerate(foot.indices)]
    truth = true_views(clip.obj, cams, foot.indices, [p[0] for p in place], [p[1] for p in place])
    gt_v, gt_f = clip.obj.frames[int(foot.indices[0])], clip.obj.faces
    out = {"seed": seed, "category": clip.obj.category}
    # how well the orthographic truth can match the perspective clip's own crop at all
    out["iou_input"] = float(np.mean([iou(foot.rgba[t, ..., 3], truth.alpha[t, 0]) for t in range(len(foot.indices))]))

    # baseline: extruded input mask
    bv, bf = extruded_baseline(foot.rgba[0, ..., 3], cams)
    b_alpha = (rasterize_views(bv, bf, cams)[0] >= 0).astype(np.float32)
    out["iou_baseline"] = float(np.mean([iou(b_alpha[v], truth.alpha[0, v]) for v in range(1, n_views)]))
    out["chamfer_baseline"] = chamfer(bv, bf, gt_v, gt_f)
    out["aligned_baseline"] = aligned_error(bv, bf, gt_v, gt_f)

    # oracle: true views through the reconstruction
    rec = reconstruct(truth.rgb[0], truth.alpha[0], cams, resolution)
    out["chamfer_oracle"] = chamfer(rec.mesh.vertices, rec.mesh.faces, gt_v, gt_f)
    ref = int(foot.indices[0])  # the animation frame the mesh is reconstructed at
    if rig:
        out.update({f"{k}_oracle": v for k, v in rig_skeleton_scores(truth, foot, clip.obj, ref).items()})
        out.update({f"{k}_baseline": v for k, v in baseline_skeleton_scores(bv, bf, clip.obj, ref).items()})
    if oracle_only:
        return out

    from ..footage.generate import generate_views

    t0 = time.perf_counter()
    gen = generate_views(foot.rgba, model, steps=steps, seed=sample_seed, azimuth_deg=azimuth_deg,
                         elevation_deg=elevation_deg, runtime=runtime)
    out["generate_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out.update(score_views(gen, foot, truth, cams, gt_v, gt_f, resolution))
    out["reconstruct_s"] = time.perf_counter() - t0
    if rig:
        out.update({f"{k}_model": v for k, v in rig_skeleton_scores(gen, foot, clip.obj, ref).items()})
    out["_gen"], out["_foot"], out["_truth"], out["_cams"], out["_gt"] = gen, foot, truth, cams, (gt_v, gt_f)
    return out


def score_views(gen, foot, truth, cams, gt_v, gt_f, resolution: int = 64) -> dict:
    """Novel-view and input-view silhouette IoU of generated views ``gen`` against the
    true renders, then the reconstruction from them: its Chamfer distance to the true
    mesh (gt_v, gt_f) and its silhouette IoU in the novel views of frame 0."""
    T, n_views = gen.alpha.shape[:2]
    out = {"iou_model": float(np.mean([iou(gen.alpha[t, v], truth.alpha[t, v])
                                       for t in range(T) for v in range(1, n_views)])),
           "iou_model_view0": float(np.mean([iou(gen.alpha[t, 0], truth.alpha[t, 0]) for t in range(T)]))}
    try:
        rgb0, alpha0, observed = reconstruction_views(gen, foot)
        rec = reconstruct(rgb0, alpha0, cams, resolution, trusted=observed)
        out["chamfer_model"] = chamfer(rec.mesh.vertices, rec.mesh.faces, gt_v, gt_f)
        out["aligned_model"] = aligned_error(rec.mesh.vertices, rec.mesh.faces, gt_v, gt_f)
        r_alpha = (rasterize_views(rec.mesh.vertices, rec.mesh.faces, cams)[0] >= 0).astype(np.float32)
        out["iou_recon"] = float(np.mean([iou(r_alpha[v], truth.alpha[0, v]) for v in range(1, n_views)]))
    except Exception as e:  # an empty hull is a result too: scored as the worst, counted
        out["chamfer_model"], out["iou_recon"] = worst_value("chamfer_model"), worst_value("iou_recon")
        out["aligned_model"] = worst_value("aligned_model")
        out["error"] = str(e)
    return out
