"""Footage benchmark: held-out procedural clips -> SP4D views -> reconstruction.

For each seed (>= 10_000_000, never trained on) a clip is rendered from ONE fixed
perspective camera (``engine.footage.testclip``), read back through the footage intake
and given to SP4D. Reported, in the normalised unit cube:

- silhouette IoU of the generated views against the true renders (same orthographic
  cameras; the truth is scaled and shifted in view 0's image plane so its input-view
  silhouette has the size and position the intake's crop gave the object: scale and
  framing are fixed by the crop, not by the model), over the novel views (1..V-1) of all
  T frames (``iou_model``), for the input view 0, and for the reconstructed mesh rendered
  in the novel views of frame 0 (``iou_recon``, measured like the baseline's mesh);
- ``iou_input``: the intake's own mask against the truth in view 0, the ceiling that
  the perspective clip vs orthographic views leaves to every method;
- Chamfer distance (mean of both directions, surface samples) of the reconstructed mesh
  against the true mesh of the reference frame, each normalised by its own bounding box
  to [-0.5, 0.5]^3 (footage has no scale);
- the same for the trivial baseline: the input mask extruded along the view direction
  to a depth equal to its width;
- and for "oracle" views (true renders through the same reconstruction): the upper bound
  of the reconstruction step alone;
- with ``--rig``: the rigs built from the generated views, from the oracle views and
  from the baseline's extruded mesh (segmented without the model), skeleton CD-J2J / J2B /
  B2B (x10^-2) against the object's true posed skeleton, and the bone counts.

A failed reconstruction is scored as the worst value of each metric, never dropped from a
mean, and the number of failed clips is printed (``engine.eval.footage_metrics``).

    python benchmarks/bench_footage.py [--seeds 4] [--steps 12] [--oracle-only] [--rig]
    python benchmarks/bench_footage.py --steps 4 --seeds 6 --threshold-sweep 0.08 0.2 0.4 0.6
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from engine.eval.footage_metrics import mean_with_failures, worst_value  # noqa: E402
from engine.footage.cameras import OrthoCameras  # noqa: E402
from engine.footage.intake import load_footage  # noqa: E402
from engine.footage.pipeline import reconstruction_views  # noqa: E402
from engine.footage.reconstruct import (extract_surface, grid_points, rasterize_views,  # noqa: E402
                                        reconstruct)
from engine.footage.testclip import true_views, write_clip  # noqa: E402

SEED0 = 10_000_000


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

    from engine.eval.skeleton_metrics import normalisation, skeleton_distances
    from engine.mesh import MeshData

    gt = dataclasses.replace(obj.skeleton, heads=obj.joint_heads[frame], tails=obj.joint_tails[frame])
    gmesh = MeshData(obj.frames[frame], obj.faces)
    (c, s), (gc, gs) = normalisation(mesh), normalisation(gmesh)
    to_gt = lambda p: (p - c) * s / gs + gc  # through the unit box of each mesh
    sk = dataclasses.replace(skeleton, heads=to_gt(skeleton.heads), tails=to_gt(skeleton.tails))
    d = skeleton_distances(sk, gt, gmesh)
    return {"j2j": d.j2j, "j2b": d.j2b, "b2b": d.b2b, "bones": float(len(sk.heads)), "bones_true": float(len(gt.heads))}


def rig_skeleton_scores(gen, foot, obj, frame: int) -> dict:
    """Rig the views ``gen`` as the footage path does (``rig_views``) and score its skeleton."""
    from engine.footage.pipeline import FootageOptions, rig_views

    res = rig_views(gen, FootageOptions(), footage=foot)
    return skeleton_scores(res.rig.skeleton, res.mesh, obj, frame)


def baseline_skeleton_scores(vertices, faces, obj, frame: int) -> dict:
    """The trivial rig: the extruded silhouette segmented without the model
    (``segment_geometric``, spectral clustering) and rigged by the same core."""
    from engine.mesh import MeshData
    from engine.rig import skeleton_from_parts
    from engine.segment.geometric import segment_geometric

    mesh = MeshData(vertices, faces)
    return skeleton_scores(skeleton_from_parts(mesh, segment_geometric(mesh)).skeleton, mesh, obj, frame)


def evaluate(seed: int, model=None, steps: int | None = None, oracle_only: bool = False, work: str | None = None,
             azimuth_deg: float = 0.0, elevation_deg: float = 15.0, resolution: int = 64, rig: bool = False) -> dict:
    """All numbers for one held-out clip (see the module docstring); rig: also rig the
    generated and the true views and the baseline mesh and score the skeletons."""
    work = work or tempfile.mkdtemp(prefix="sp4d-footage-")
    clip = write_clip(seed, work, azimuth_deg=azimuth_deg, elevation_deg=elevation_deg)
    size = 96 if model is None else int(model.config.sample_size)
    n_views = 8 if model is None else int(model.config.num_views)
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

    # oracle: true views through the reconstruction
    rec = reconstruct(truth.rgb[0], truth.alpha[0], cams, resolution)
    out["chamfer_oracle"] = chamfer(rec.mesh.vertices, rec.mesh.faces, gt_v, gt_f)
    ref = int(foot.indices[0])  # the animation frame the mesh is reconstructed at
    if rig:
        out.update({f"{k}_oracle": v for k, v in rig_skeleton_scores(truth, foot, clip.obj, ref).items()})
        out.update({f"{k}_baseline": v for k, v in baseline_skeleton_scores(bv, bf, clip.obj, ref).items()})
    if oracle_only:
        return out

    from engine.footage.generate import generate_views

    t0 = time.perf_counter()
    gen = generate_views(foot.rgba, model, steps=steps, azimuth_deg=azimuth_deg, elevation_deg=elevation_deg)
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
        r_alpha = (rasterize_views(rec.mesh.vertices, rec.mesh.faces, cams)[0] >= 0).astype(np.float32)
        out["iou_recon"] = float(np.mean([iou(r_alpha[v], truth.alpha[0, v]) for v in range(1, n_views)]))
    except Exception as e:  # an empty hull is a result too: scored as the worst, counted
        out["chamfer_model"], out["iou_recon"] = worst_value("chamfer_model"), worst_value("iou_recon")
        out["error"] = str(e)
    return out


def threshold_sweep(model, steps, thresholds, n_clips: int = 6, relative: bool = False) -> None:
    """Print novel-view IoU and Chamfer per silhouette threshold (``engine.footage.generate.
    silhouettes``) on the tuning clips SEED0+200.. (held out, apart from the benchmark's
    SEED0+100.. and the test's seeds): where the shipped threshold was chosen. relative:
    the values are ratios to the input object's median distance from white
    (``silhouette_threshold``), else absolute thresholds."""
    import dataclasses

    from engine.footage.generate import silhouette_threshold, silhouettes

    res, failures = [], [0] * len(thresholds)
    for i in range(n_clips):
        r = evaluate(SEED0 + 200 + i, model, steps)
        gen = r["_gen"]
        row = []
        for th in thresholds:
            cut = silhouette_threshold(r["_foot"].rgba, th) if relative else th
            g = dataclasses.replace(gen, alpha=silhouettes(gen.rgb, gen.part, threshold=cut))
            sc = score_views(g, r["_foot"], r["_truth"], r["_cams"], *r["_gt"])
            row.append((sc["iou_model"], sc["chamfer_model"]))
            failures[len(row) - 1] += bool(sc.get("error"))
        res.append(row)
        print(r["seed"], r["category"], f"baseline {r['iou_baseline']:.3f}/{r['chamfer_baseline']:.3f}",
              " ".join(f"{th}:{a:.3f}/{c:.3f}" for th, (a, c) in zip(thresholds, row)), flush=True)
    m = np.mean(np.array(res), 0)  # failed reconstructions already hold the worst values
    print(("ratio" if relative else "threshold") + " | iou_model | chamfer_model | failed")
    for th, (a, c), nf in zip(thresholds, m, failures):
        print(f"{th} | {a:.3f} | {c:.3f} | {nf}/{n_clips}")


def _sheet(rows, path, scale=1):
    import cv2

    img = np.concatenate([np.concatenate(list(r), 1) for r in rows], 0)
    img = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
    if scale != 1:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(path, img[..., ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return path


def pictures(out_dir: str, seed: int = SEED0 + 7, model=None, steps: int | None = None) -> list[str]:
    """docs/images/footage_*.png: input frames and crops, the views the rig was built
    from (SP4D's when a model is given, else the true renders, named 'oracle'), and a
    Workbench render of the rigged result in a test pose (needs bpy)."""
    from engine.footage.pipeline import FootageOptions, rig_views
    from engine.footage.generate import generate_views

    os.makedirs(out_dir, exist_ok=True)  # cv2.imwrite fails silently into a missing folder
    work = tempfile.mkdtemp(prefix="sp4d-footage-pics-")
    clip = write_clip(seed, work, size=160, category="quadruped", azimuth_deg=-30)
    foot = load_footage(clip.video, 4, size=96)
    cams = OrthoCameras.orbit(8, 96, clip.azimuth_deg, clip.elevation_deg)
    paths = [_sheet([clip.frames[foot.indices] / 255.0], os.path.join(out_dir, "footage_input_frames.png")),
             _sheet([foot.rgba[..., :3]], os.path.join(out_dir, "footage_input_crops.png"))]
    if model is not None:
        gen, tag = generate_views(foot.rgba, model, steps=steps, azimuth_deg=clip.azimuth_deg), "generated"
    else:
        gen, tag = true_views(clip.obj, cams, foot.indices), "oracle"
    paths.append(_sheet([gen.rgb[0], gen.part[0]], os.path.join(out_dir, f"footage_{tag}_views.png")))
    res = rig_views(gen, FootageOptions(), footage=foot)
    from sp4d_blender import preview, scene_io
    from sp4d_blender.ops.footage import apply_footage

    scene_io.reset_scene()
    obj, arm = apply_footage(res, "Footage")
    p = os.path.join(out_dir, f"footage_rigged_{tag}.png")
    preview.render_test_pose_preview(p, [obj], arm)
    paths.append(p)
    return paths


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--model", default=None)
    ap.add_argument("--oracle-only", action="store_true")
    ap.add_argument("--rig", action="store_true", help="also rig the views and score the skeletons")
    ap.add_argument("--pictures", metavar="DIR", help="write footage_*.png pictures there and stop")
    ap.add_argument("--threshold-sweep", type=float, nargs="+", metavar="T",
                    help="silhouette thresholds to compare on the tuning clips, then stop")
    ap.add_argument("--relative", action="store_true",
                    help="--threshold-sweep values are ratios to the input object's distance from white")
    a = ap.parse_args()
    if a.threshold_sweep:
        from engine.models import load_sp4d

        threshold_sweep(load_sp4d(a.model), a.steps, a.threshold_sweep, n_clips=a.seeds, relative=a.relative)
        return
    if a.pictures:
        model = None
        if not a.oracle_only:
            from engine.models import load_sp4d

            model = load_sp4d(a.model)
        for p in pictures(a.pictures, model=model, steps=a.steps):
            print(p, f"{os.path.getsize(p) / 1024:.0f} KB")
        return
    model = None
    if not a.oracle_only:
        from engine.models import load_sp4d

        model = load_sp4d(a.model)
    cols = ["seed", "category", "iou_input", "iou_model", "iou_recon", "iou_model_view0", "iou_baseline",
            "chamfer_model", "chamfer_baseline", "chamfer_oracle", "generate_s"]
    if a.rig:
        cols += [f"{k}_{w}" for w in ("model", "baseline", "oracle") for k in ("j2j", "j2b", "b2b", "bones")]
        cols += ["bones_true_oracle"]
    print(" | ".join(cols))
    rows = []
    for i in range(a.seeds):
        r = evaluate(SEED0 + 100 + i, model, a.steps, a.oracle_only, rig=a.rig)
        rows.append(r)
        print(" | ".join(f"{r[c]:.3f}" if isinstance(r.get(c), float) else str(r.get(c, "-")) for c in cols), flush=True)
    scored = [c for c in cols[2:] if c.startswith(("iou", "chamfer", "j2j", "j2b", "b2b"))
              and any(c in r for r in rows)]
    means, failed = mean_with_failures(rows, scored)
    means.update({c: float(np.mean([r[c] for r in rows])) for c in cols[2:]  # timings, bone counts
                  if c not in means and all(isinstance(r.get(c), float) for r in rows)})
    print("mean | " + " | ".join(f"{c} {means[c]:.3f}" for c in cols[2:] if c in means))
    print(f"failed: {failed} of {len(rows)} clips (each scored as the worst value: IoU 0, Chamfer sqrt(3), "
          f"skeleton 100 sqrt(3)); errors: {[r['error'] for r in rows if r.get('error')]}")


if __name__ == "__main__":
    main()
