"""Skinning on the artists' skeletons: our weights vs Blender's "With Automatic Weights".

For every reference model: strip the weights, rebind to the original skeleton (only the
bones that carry GT weight) with engine.skin.compute_weights and with Blender's bone heat
(parent_set ARMATURE_AUTO on the meshes as imported, one object per source object, seams
split as in the file), and compare both with the artist's weights (design §4 metrics).

    .venv/bin/python benchmarks/eval_skinning.py [--only NAME ...] [--no-blender]
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from engine.eval.reference import RiggedModel, load_folder
from engine.eval.skin_metrics import skin_metrics
from engine.skin import SkinOptions, compute_weights

ASSETS = os.path.normpath(os.path.join(ROOT, "..", "shared", "assets"))
CACHE = os.path.join(ROOT, ".cache", "assets")


def load_models(only: list[str] | None, npz_dir: str | None = None) -> list[RiggedModel]:
    """The reference models (``shared/assets``, cached as .npz), or every .npz in ``npz_dir``
    (e.g. ``.cache/train_assets``: the tuning set for skinning constants)."""
    if npz_dir:
        return load_folder(npz_dir, only)
    models = []
    for path in sorted(glob.glob(os.path.join(ASSETS, "*.gl*"))):
        name = os.path.splitext(os.path.basename(path))[0]
        if only and not any(o in name for o in only):
            continue
        cached = os.path.join(CACHE, name + ".npz")
        if os.path.exists(cached):
            models.append(RiggedModel.load(cached))
        else:
            from sp4d_blender.reference import read_rigged_file
            models.append(read_rigged_file(path))
    return models


class _CaptureFd:
    """Capture what C code prints to stdout/stderr (Blender's bone-heat warnings)."""

    def __enter__(self):
        sys.stdout.flush(), sys.stderr.flush()
        self.tmp = tempfile.TemporaryFile(mode="w+b")
        self.saved = [os.dup(1), os.dup(2)]
        os.dup2(self.tmp.fileno(), 1)
        os.dup2(self.tmp.fileno(), 2)
        return self

    def __exit__(self, *exc):
        sys.stdout.flush(), sys.stderr.flush()
        os.dup2(self.saved[0], 1), os.dup2(self.saved[1], 2)
        for fd in self.saved:
            os.close(fd)
        self.tmp.seek(0)
        self.text = self.tmp.read().decode("utf-8", "replace")
        self.tmp.close()


def blender_auto_weights(model: RiggedModel, skeleton, weld: bool = False) -> tuple[np.ndarray, int, float]:
    """Dense (N, B) weights from Blender's bone heat, the number of failure messages and the
    time of the parent_set call. weld: run it on the meshes welded by position first (what
    an artist gets after "Merge by Distance"), weights mapped back to every vertex."""
    import bpy

    from engine.mesh import clean_mesh
    from sp4d_blender import bridge, scene_io

    scene_io.reset_scene()
    clean = clean_mesh(model.mesh) if weld else None
    mesh = clean.mesh if weld else model.mesh
    arm = bridge.build_armature(skeleton, "Armature")
    objects, order = [], []
    for oid in np.unique(mesh.object_ids):
        vids = np.flatnonzero(mesh.object_ids == oid)
        local = -np.ones(mesh.n_vertices, np.int64)
        local[vids] = np.arange(len(vids))
        fmask = np.isin(mesh.faces[:, 0], vids)
        faces = local[mesh.faces[fmask]]
        me = bpy.data.meshes.new(f"m{oid}")
        me.from_pydata(mesh.vertices[vids].tolist(), [], faces.tolist())
        me.update()
        obj = bpy.data.objects.new(f"o{oid}", me)
        bpy.context.scene.collection.objects.link(obj)
        objects.append(obj)
        order.append(vids)
    bpy.ops.object.select_all(action="DESELECT")
    for o in objects:
        o.select_set(True)
    arm.select_set(True)
    bpy.context.view_layer.objects.active = arm
    t = time.perf_counter()
    with _CaptureFd() as cap:
        bpy.ops.object.parent_set(type="ARMATURE_AUTO")
    dt = time.perf_counter() - t
    failures = cap.text.count("failed to find solution")
    stacked = bridge.weights_from_objects(objects, skeleton)
    dense = np.zeros((mesh.n_vertices, skeleton.n_bones))
    dense[np.concatenate(order)] = stacked
    if weld:
        dense = clean.to_original(dense)
    return dense, failures, dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--no-blender", action="store_true")
    ap.add_argument("--poses", type=int, default=8)
    ap.add_argument("--npz", default=None, help="score the .npz models of this folder instead (tuning: .cache/train_assets)")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="SkinOptions field to override (tuning), e.g. --set rigid_dominance=0.9")
    a = ap.parse_args()
    opts = SkinOptions().with_text(a.set)
    rows = []
    hdr = (f"{'model':36s} {'verts':>6s} {'bones':>5s} | {'L1':>5s} {'prec':>5s} {'rec':>5s} {'deform%':>7s} "
           f"{'unw':>5s} {'time':>6s} | {'L1':>5s} {'prec':>5s} {'rec':>5s} {'deform%':>7s} {'unw':>5s} {'fail':>4s} {'time':>6s}"
           f" | {'L1':>5s} {'deform%':>7s} {'unw':>5s} {'fail':>4s}")
    print(f"{'':50s}| {'ours':^38s}| {'blender bone heat, mesh as imported':^44s} | {'blender, welded first':^24s}")
    print(hdr)
    for model in load_models(a.only, a.npz):
        sk, gt = model.weighted_skeleton()
        sk.deform[:] = True
        t = time.perf_counter()
        ours = compute_weights(model.mesh, sk, opts).to_dense(sk.n_bones)
        t_ours = time.perf_counter() - t
        mo = skin_metrics(model.mesh.vertices, ours, gt, sk, n_poses=a.poses)
        row = [model.name, model.mesh.n_vertices, sk.n_bones, mo, t_ours]
        line = (f"{model.name:36s} {model.mesh.n_vertices:6d} {sk.n_bones:5d} | {mo.l1:5.3f} {mo.precision:5.3f} "
                f"{mo.recall:5.3f} {100 * mo.deformation:7.3f} {mo.unweighted:5d} {t_ours:6.2f} |")
        if not a.no_blender:
            bw, fails, t_bl = blender_auto_weights(model, sk)
            mb = skin_metrics(model.mesh.vertices, bw, gt, sk, n_poses=a.poses)
            row += [mb, fails, t_bl]
            bw2, fails2, _ = blender_auto_weights(model, sk, weld=True)
            mw = skin_metrics(model.mesh.vertices, bw2, gt, sk, n_poses=a.poses)
            row += [mw, fails2]
            line += (f" {mb.l1:5.3f} {mb.precision:5.3f} {mb.recall:5.3f} {100 * mb.deformation:7.3f} "
                     f"{mb.unweighted:5d} {fails:4d} {t_bl:6.2f} | {mw.l1:5.3f} {100 * mw.deformation:7.3f} "
                     f"{mw.unweighted:5d} {fails2:4d}")
        print(line, flush=True)
        rows.append(row)

    def mean(i, attr=None):
        return np.mean([getattr(r[i], attr) if attr else r[i] for r in rows])

    def total(i, attr=None):
        return int(np.sum([getattr(r[i], attr) if attr else r[i] for r in rows]))

    line = (f"{'MEAN (' + str(len(rows)) + ' models)':36s} {'':6s} {'':5s} | {mean(3, 'l1'):5.3f} {mean(3, 'precision'):5.3f} "
            f"{mean(3, 'recall'):5.3f} {100 * mean(3, 'deformation'):7.3f} {total(3, 'unweighted'):5d} {mean(4):6.2f} |")
    if not a.no_blender:
        line += (f" {mean(5, 'l1'):5.3f} {mean(5, 'precision'):5.3f} {mean(5, 'recall'):5.3f} "
                 f"{100 * mean(5, 'deformation'):7.3f} {total(5, 'unweighted'):5d} {total(6):4d} {mean(7):6.2f} | "
                 f"{mean(8, 'l1'):5.3f} {100 * mean(8, 'deformation'):7.3f} {total(8, 'unweighted'):5d} {total(9):4d}")
    print(line)
    print("unw = vertices left without weight (summed in the MEAN row); fail = Blender's 'failed to find "
          "solution' messages (summed); deform% = LBS error under random poses, % of bbox diagonal.")


if __name__ == "__main__":
    main()
