"""Extension zips: size per platform (and how much of it the hub client's wheels are), and
install + enable time (and Auto-Rig time) of the linux zip in a venv holding only
bpy==5.0.1 with an empty Blender user folder.

    python benchmarks/bench_extension.py [--platforms ...] [--no-install]

Uses the helpers of tests/blender/test_extension_install.py (same build, same install).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.blender.test_extension_install import PLATFORMS, build_zips, install_and_rig, make_bpy_venv  # noqa: E402


def hub_wheels_bytes(zip_path: str) -> int:
    """Compressed bytes of the wheels bundled for hub ids (huggingface_hub and its
    dependencies: every wheel but build.DEPENDENCIES')."""
    from build import DEPENDENCIES, wheel_project

    rig = {wheel_project(d + "-0") for d in DEPENDENCIES}
    return sum(i.compress_size for i in zipfile.ZipFile(zip_path).infolist()
               if i.filename.endswith(".whl") and wheel_project(i.filename) not in rig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--platforms", nargs="+", default=list(PLATFORMS))
    ap.add_argument("--no-install", action="store_true", help="sizes only")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sp4d-bench-ext-") as tmp:
        zips = build_zips(os.path.join(tmp, "dist"), a.platforms)
        print("| platform | zip MB | of it hub client wheels MB |\n|---|---|---|")
        for p, z in zips.items():
            print(f"| {p} | {os.path.getsize(z) / 1e6:.1f} | {hub_wheels_bytes(z) / 1e6:.1f} |")
        if a.no_install or "linux-x64" not in zips:
            return 0
        py = make_bpy_venv(os.path.join(tmp, "venv"))
        r = install_and_rig(py, zips["linux-x64"], os.path.join(tmp, "run"))
        print(f"linux-x64 in a bpy-only venv: install + enable {r['install_enable_s']:.1f} s, "
              f"Auto-Rig of tests/data/synth_quadruped.glb {r['autorig_s']:.1f} s ({r['bones']} bones, "
              f"{r['vertices']} vertices)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
