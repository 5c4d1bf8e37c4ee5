"""What a fresh machine downloads for ``bash scripts/install.sh`` (runtime only): pip
downloads the project's dependencies (pyproject.toml ``dependencies``, or with
``--extras train`` those too) for Linux x86-64 / Python 3.11 into a temporary folder and
prints each wheel's size and the total in MB.

    python benchmarks/bench_install_size.py [--extras train] [--keep DIR]
"""

from __future__ import annotations

import argparse
import glob
import os
import subprocess
import sys
import tempfile
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def requirements(extras: list[str]) -> list[str]:
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    reqs = list(project["dependencies"])
    for e in extras:
        reqs += [r for r in project["optional-dependencies"][e] if not r.startswith("sp4d-blender")]
    return reqs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extras", nargs="*", default=[])
    ap.add_argument("--keep", help="download into this folder (kept) instead of a temporary one")
    a = ap.parse_args(argv)
    reqs = requirements(a.extras)
    with tempfile.TemporaryDirectory() as tmp:
        dest = a.keep or tmp
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:",
                        "--python-version", "3.11", "--implementation", "cp", "--platform", "manylinux_2_28_x86_64",
                        "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64",
                        "-d", dest, *reqs], check=True)
        files = sorted(glob.glob(os.path.join(dest, "*")), key=os.path.getsize, reverse=True)
        total = 0
        for f in files:
            size = os.path.getsize(f)
            total += size
            print(f"{size / 1e6:9.1f} MB  {os.path.basename(f)}")
        print(f"{total / 1e6:9.1f} MB  total, {len(files)} files ({' '.join(reqs)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
