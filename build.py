"""Build the installable Blender extension zip and validate it with Blender's own tool.

    python build.py [--out-dir dist] [--deps] [--platforms linux-x64 ...] [--stage-dir DIR]

The zip holds the add-on package (``sp4d_blender``) at its root, the shipped SP4D
checkpoint under ``models/``, and wheels: the engine as a pure-Python wheel, plus (with
``--deps``) the dependency wheels per platform, downloaded with pip and split into one
zip per platform (Blender's ``--split-platforms``). Without ``--deps`` the extension uses
packages already importable by Blender's Python (a development install).
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.abspath(__file__))

# Blender platform -> pip --platform tags for Python 3.11 wheels
PLATFORM_TAGS = {
    "linux-x64": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    "windows-x64": ["win_amd64"],
    "macos-arm64": ["macosx_11_0_arm64", "macosx_12_0_arm64", "macosx_14_0_arm64"],
}
# numpy ships with Blender; bundling another copy breaks other add-ons
DEPENDENCIES = ["torch==2.13.0", "scipy", "diffusers", "safetensors", "huggingface_hub",
                "opencv-python-headless<4.12", "scikit-image"]
BUNDLED_BY_BLENDER = ("numpy",)


def blender_ext_tool() -> str:
    """Path of Blender's extension CLI shipped inside the bpy package."""
    import importlib.util

    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("build.py: error: the bpy package is not installed (pip install bpy==5.0.1)")
    base = list(spec.submodule_search_locations)[0]
    hits = glob.glob(os.path.join(base, "*", "scripts", "addons_core", "bl_pkg", "cli", "blender_ext.py"))
    if not hits:
        sys.exit("build.py: error: Blender's blender_ext.py not found inside bpy")
    return hits[0]


def build_engine_wheel(wheel_dir: str) -> str:
    """Pure-Python wheel of the ``engine`` package (installed by Blender on enable)."""
    version = re.search(r'__version__ = "([^"]+)"', open(os.path.join(ROOT, "engine", "__init__.py")).read())[1]
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(os.path.join(ROOT, "engine"), os.path.join(tmp, "engine"),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        with open(os.path.join(tmp, "pyproject.toml"), "w") as f:
            f.write(f'[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
                    f'[project]\nname = "sp4d-engine"\nversion = "{version}"\nrequires-python = ">=3.11"\n'
                    f'[tool.setuptools.packages.find]\ninclude = ["engine*"]\n')
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                        "-w", wheel_dir, tmp], check=True)
    return glob.glob(os.path.join(wheel_dir, "sp4d_engine-*.whl"))[0]


def download_dependency_wheels(wheel_dir: str, platforms: list[str]) -> None:
    for platform in platforms:
        tags = [a for t in PLATFORM_TAGS[platform] for a in ("--platform", t)]
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:",
                        "--python-version", "3.11", "--implementation", "cp", *tags,
                        "-d", wheel_dir, *DEPENDENCIES], check=True)
    for name in BUNDLED_BY_BLENDER:
        for whl in glob.glob(os.path.join(wheel_dir, f"{name}-*.whl")):
            os.remove(whl)


def _bundled_model_name() -> str:
    """``sp4d_blender.paths.BUNDLED_MODEL``, read without importing the add-on (it needs bpy)."""
    src = open(os.path.join(ROOT, "sp4d_blender", "paths.py")).read()
    return re.search(r'^BUNDLED_MODEL = "([^"]+)"', src, re.M).group(1)


def stage(stage_dir: str, deps: bool, platforms: list[str]) -> None:
    """Lay out the extension source: add-on files, models, wheels, manifest."""
    shutil.rmtree(stage_dir, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "sp4d_blender"), stage_dir,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # only the bundled checkpoint: models/ also holds checkpoints still in training
    bundled = os.path.join("models", _bundled_model_name())
    if os.path.isdir(os.path.join(ROOT, bundled)):
        shutil.copytree(os.path.join(ROOT, bundled), os.path.join(stage_dir, bundled),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheel_dir = os.path.join(stage_dir, "wheels")
    os.makedirs(wheel_dir)
    build_engine_wheel(wheel_dir)
    if deps:
        download_dependency_wheels(wheel_dir, platforms)
    wheels = sorted("./wheels/" + os.path.basename(w) for w in glob.glob(os.path.join(wheel_dir, "*.whl")))
    generated = ("platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]\n"
                 + "wheels = [\n" + "".join(f'  "{w}",\n' for w in wheels) + "]\n")
    manifest = open(os.path.join(ROOT, "blender_manifest.toml")).read()
    # the marker sits among the top-level keys, before the [permissions]/[build] tables
    manifest = re.sub(r"# @generated by build.py.*\n", generated, manifest)
    with open(os.path.join(stage_dir, "blender_manifest.toml"), "w") as f:
        f.write(manifest)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "dist"))
    ap.add_argument("--deps", action="store_true", help="bundle dependency wheels (downloads with pip)")
    ap.add_argument("--platforms", nargs="+", default=["linux-x64"], choices=sorted(PLATFORM_TAGS))
    ap.add_argument("--stage-dir", default=os.path.join(ROOT, "build", "extension"),
                    help="scratch folder for the extension source (emptied first)")
    a = ap.parse_args(argv)
    tool = blender_ext_tool()
    stage_dir = os.path.abspath(a.stage_dir)
    stage(stage_dir, a.deps, a.platforms)
    os.makedirs(a.out_dir, exist_ok=True)
    cmd = [sys.executable, tool, "build", "--source-dir", stage_dir, "--output-dir", a.out_dir]
    if a.deps and len(a.platforms) > 1:
        cmd.append("--split-platforms")
    subprocess.run(cmd, check=True)
    zips = sorted(glob.glob(os.path.join(a.out_dir, "sp4d_autorig-*.zip")), key=os.path.getmtime)
    for z in zips[-len(a.platforms):] if a.deps and len(a.platforms) > 1 else zips[-1:]:
        subprocess.run([sys.executable, tool, "validate", z], check=True)
        print(z)
    return 0


if __name__ == "__main__":
    sys.exit(main())
