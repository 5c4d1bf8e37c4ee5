"""Write procedural rigged objects as reference-model .npz files: a tuning set that no
model was trained on and that is not an evaluation set.

    .venv/bin/python benchmarks/procedural_tuning_set.py [--seed0 10000100] [--n 48] \\
        [--out .cache/tune_proc]

Each object is ``engine.synth.generate(seed, n_frames=1)`` (seeds from ``--seed0``, the
tuning seeds 10_000_100.. that SP4D training never draws) saved as an
``engine.eval.reference.RiggedModel`` (rest mesh, generator's skeleton, dense weights), so
``tune_skeleton.py --npz .cache/tune_proc [--model-parts]`` and the other ``--npz``
benchmarks read it like the extracted training models.

Other seeds give training data in the same form: the skin refiner trains on the training
models plus ``--seed0 5000000 --n 48 --out .cache/skin_proc_train`` (notes/SKINNING.md).
"""

from __future__ import annotations

import argparse
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from engine.eval.reference import RiggedModel
from engine.mesh import MeshData
from engine.synth import generate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed0", type=int, default=10_000_100)
    ap.add_argument("--n", type=int, default=48)
    ap.add_argument("--out", default=os.path.join(ROOT, ".cache", "tune_proc"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for seed in range(a.seed0, a.seed0 + a.n):
        o = generate(seed, n_frames=1)
        name = f"{o.category}_{seed}"
        dense = o.weights.to_dense(o.skeleton.n_bones)
        RiggedModel(name, MeshData(o.vertices, o.faces), o.skeleton, dense).save(os.path.join(a.out, name + ".npz"))
        print(name, o.skeleton.n_bones, "bones", len(o.vertices), "vertices", flush=True)


if __name__ == "__main__":
    main()
