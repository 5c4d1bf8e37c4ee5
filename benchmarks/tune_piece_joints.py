"""Choose ``engine.rig.from_parts.PIECE_CAP_FRAC`` on TUNING models only.

    .venv/bin/python benchmarks/tune_piece_joints.py .cache/train_assets

For each setting: artists' part labels -> ``skeleton_from_parts`` -> mean CD-J2J / J2B / B2B
(x10^-2) against the artists' skeletons of the training models (never ``shared/assets``).
"""
import sys, glob, numpy as np
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.dirname(__import__("os").path.abspath(__file__))))
import engine.rig.from_parts as fp
from engine.eval.reference import RiggedModel
from engine.eval.part_metrics import labels_from_weights
from engine.eval.skeleton_metrics import skeleton_distances
folder = sys.argv[1] if len(sys.argv) > 1 else ".cache/train_assets"
if "shared/assets" in folder or folder.rstrip("/").endswith(".cache/assets"):
    raise SystemExit("tune on training models, not the evaluation set")
models = [RiggedModel.load(p) for p in sorted(glob.glob(folder + "/*.npz"))]
for frac in [None, 0.05, 0.1, 0.2, 0.3, 0.5]:
    fp.PIECE_CAP_FRAC = frac
    r = []
    for m in models:
        gt, w = m.weighted_skeleton()
        rig = fp.skeleton_from_parts(m.mesh, labels_from_weights(w))
        s = skeleton_distances(rig.skeleton, gt, m.mesh)
        r.append((s.j2j, s.j2b, s.b2b))
    r = np.array(r)
    print(frac, len(r), r.mean(0).round(3), flush=True)
