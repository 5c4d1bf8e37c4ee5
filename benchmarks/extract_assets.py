"""Cache the reference models as .npz (mesh, skeleton, weights) for engine-only work.

    python benchmarks/extract_assets.py [--assets DIR] [--out DIR]
"""

import argparse
import glob
import os

from engine.errors import InputError
from sp4d_blender.reference import read_rigged_file


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--assets", default=os.path.join(here, "..", "shared", "assets"))
    ap.add_argument("--out", default=os.path.join(here, ".cache", "assets"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for path in sorted(glob.glob(os.path.join(a.assets, "*.gl*"))):
        try:
            m = read_rigged_file(path)
        except InputError as e:  # e.g. two armatures: not usable as one rigged model
            print(f"skipped {os.path.basename(path)}: {e}")
            continue
        m.save(os.path.join(a.out, m.name + ".npz"))
        used = int((m.weights.sum(0) > 0).sum())
        unw = int((m.weights.sum(1) == 0).sum())
        print(f"{m.name:40s} verts {m.mesh.n_vertices:6d} faces {len(m.mesh.faces):6d} "
              f"objs {len(m.mesh.object_names)} bones {m.skeleton.n_bones:3d} weighted {used:3d} unweighted-verts {unw}")


if __name__ == "__main__":
    main()
