"""Auto-Rig of a 1M-vertex mesh on the command line: wall time, stage times, peak memory.

The bundled cow (examples/cow.glb) is subdivided (Catmull-Clark, applied) in Blender until
it has at least ``--vertices`` vertices (decimated back to about that count when a
level overshoots) and saved as a .blend; then ``sp4d autorig`` rigs it
in a child process exactly as a user would run it (SP4D on a proxy, weights carried back
to every vertex, .blend written), and the table gives the child's wall time, its peak
resident memory (``ru_maxrss`` of the children) and the report's stage times.

    .venv/bin/python benchmarks/bench_large_mesh.py [--vertices 1000000] [--keep DIR]

Target (issue 20): a 1M-vertex mesh rigs on 2 cores within 24 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_MAKE = r"""
import sys, bpy
src, out, target = sys.argv[-3], sys.argv[-2], int(sys.argv[-1])
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.gltf(filepath=src)
obj = next(o for o in bpy.data.objects if o.type == "MESH")
for o in [o for o in bpy.data.objects if o is not obj]:
    bpy.data.objects.remove(o)
bpy.context.view_layer.objects.active = obj
obj.modifiers.clear()
while len(obj.data.vertices) < target:
    mod = obj.modifiers.new("subd", "SUBSURF")
    mod.levels = 1
    bpy.ops.object.modifier_apply(modifier=mod.name)
if len(obj.data.vertices) > 1.2 * target:  # each level quadruples: collapse back down to the target
    mod = obj.modifiers.new("dec", "DECIMATE")
    mod.ratio = target / len(obj.data.vertices)
    bpy.ops.object.modifier_apply(modifier=mod.name)
print("VERTICES", len(obj.data.vertices))
bpy.ops.wm.save_as_mainfile(filepath=out)
"""


def make_mesh(path: str, target: int) -> int:
    """Write the subdivided cow to ``path`` (.blend); returns its vertex count."""
    code = f"import sys; sys.argv += {[os.path.join(ROOT, 'examples', 'cow.glb'), path, str(target)]!r}\n" + _MAKE
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        sys.exit(f"bench_large_mesh: could not build the mesh:\n{proc.stderr[-2000:]}")
    return int(next(ln.split()[1] for ln in proc.stdout.splitlines() if ln.startswith("VERTICES")))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vertices", type=int, default=1_000_000)
    ap.add_argument("--keep", default=None, help="folder to keep the mesh, rig and report in")
    args = ap.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="sp4d-large-")
    os.makedirs(folder, exist_ok=True)
    mesh = os.path.join(folder, f"cow_{args.vertices}.blend")
    t = time.time()
    n = make_mesh(mesh, args.vertices)
    print(f"built {n} vertices in {time.time() - t:.1f} s: {mesh}", file=sys.stderr)
    out, report = os.path.join(folder, "rigged.blend"), os.path.join(folder, "report.json")
    # a fresh parent per measurement, so the peak is the rig's and not the mesh builder's
    wrap = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
            "print('PEAK_KIB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)")
    t = time.time()
    proc = subprocess.run([sys.executable, "-c", wrap, sys.executable, "-m", "sp4d_blender.cli", "autorig", mesh,
                           "-o", out, "--report", report, "--overwrite", "--quiet"],
                          capture_output=True, text=True, cwd=ROOT, timeout=3600)
    wall = time.time() - t
    peak_gib = int(next(ln.split()[1] for ln in proc.stderr.splitlines() if ln.startswith("PEAK_KIB"))) / 2**20
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        return 1
    rep = json.load(open(report))
    stages = rep.get("timings_s", {})
    print("| vertices | bones | wall s | peak GiB | " + " | ".join(f"{k} s" for k in stages) + " |")
    print("|---" * (4 + len(stages)) + "|")
    print(f"| {n} | {rep.get('bones')} | {wall:.1f} | {peak_gib:.2f} | " + " | ".join(f"{v:.1f}" for v in stages.values()) + " |")
    print("warnings:", "; ".join(rep.get("warnings", [])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
