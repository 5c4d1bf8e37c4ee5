"""Build the Blender extension zips (one per platform) and validate them with Blender's own tool.

    python build.py [--out-dir dist] [--platforms linux-x64 windows-x64 macos-arm64] [--no-deps]

Each zip holds the add-on package (``sp4d_blender``) at its root, the engine vendored
inside it as the sub-package ``<add-on>/engine`` (imported as
``bl_ext.<repository>.sp4d_autorig.engine``, never as a top-level ``engine``: Blender's
extensions share one module namespace, where that name could be another add-on's; the
add-on imports it relatively, ``sp4d_blender/_engine.py`` says how), the shipped SP4D
checkpoint under ``models/`` and the wheels of what rigging needs beyond Blender's own
Python (numpy ships with Blender): SP4D runs through ONNX Runtime (``engine.runtime``; its
graph is ``engine/runtime/graphs``, its weights the checkpoint's safetensors), so no torch.
Hub ids in the preferences (``engine.hub``) need ``huggingface_hub``: its wheel and those
of its dependencies are bundled too, less what Blender's Python already has (requests and
its idna, urllib3, certifi, charset_normalizer; zstandard, cython, numpy) and less
``hf_xet`` (optional: without it huggingface_hub downloads over plain HTTPS). Wheels are
downloaded with pip per platform (``--only-binary``, CPython 3.11, that platform's tags:
pyyaml is the one compiled hub dependency) and the zips split with Blender's
``--split-platforms``. ``--no-deps`` builds one zip without wheels for a Blender whose
Python already has them (development). Prints each zip's size.

Footage (``sp4d footage`` / the Footage panel) needs torch and diffusers: the full
install (``pip install '.[train]'``), not the extension.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))

# Blender platform -> pip --platform tags for Python 3.11 wheels
PLATFORM_TAGS = {
    "linux-x64": ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64",
                  "manylinux2014_x86_64"],
    "windows-x64": ["win_amd64"],
    "macos-arm64": [f"macosx_{v}_0_arm64" for v in (11, 12, 13, 14, 15)],
}
# what Auto-Rig imports beyond Blender's Python (numpy ships with Blender: bundling another
# copy breaks other add-ons). Without their own dependencies (--no-deps): onnxruntime's
# (sympy, protobuf, flatbuffers, packaging) are not used to run a session.
DEPENDENCIES = ["onnxruntime", "scipy", "safetensors"]
# hub ids (engine.hub): with their dependencies, as pip resolves them (the 2.x hub client:
# httpx2, httpcore2, h11, anyio, truststore, filelock, fsspec, packaging, pyyaml, tqdm,
# typing_extensions, click). pip evaluates environment markers on this machine, so
# Windows-only extras (colorama, which tqdm and click import only if present) are not in.
HUB_DEPENDENCIES = ["huggingface_hub"]
# in Blender's own Python (bpy==5.0.1 requires the same: numpy, requests, zstandard, cython)
BUNDLED_BY_BLENDER = ("numpy", "requests", "idna", "urllib3", "certifi", "charset_normalizer",
                      "zstandard", "cython")
# optional for what we call: huggingface_hub falls back to HTTPS downloads without hf_xet
# (a 4 MB compiled wheel per platform)
LEFT_OUT = ("hf_xet",)
# engine parts the add-on never runs inside Blender without torch: left out of the zip
ENGINE_EXCLUDE = ("__pycache__", "*.pyc")


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


def wheel_project(path: str) -> str:
    """Normalised project name of a wheel file ('PyYAML-6.0-...whl' -> 'pyyaml')."""
    return re.sub(r"[-_.]+", "_", os.path.basename(path).split("-")[0]).lower()


def download_dependency_wheels(wheel_dir: str, platforms: list[str]) -> None:
    for platform in platforms:
        tags = [a for t in PLATFORM_TAGS[platform] for a in ("--platform", t)]
        pip = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
               "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp", *tags,
               "-d", wheel_dir]
        subprocess.run([*pip, "--no-deps", *DEPENDENCIES], check=True)
        subprocess.run([*pip, *HUB_DEPENDENCIES], check=True)
    for whl in glob.glob(os.path.join(wheel_dir, "*.whl")):
        if wheel_project(whl) in BUNDLED_BY_BLENDER + LEFT_OUT:
            os.remove(whl)


def _bundled_model_name() -> str:
    """``sp4d_blender.paths.BUNDLED_MODEL``, read without importing the add-on (it needs bpy)."""
    src = open(os.path.join(ROOT, "sp4d_blender", "paths.py")).read()
    return re.search(r'^BUNDLED_MODEL = "([^"]+)"', src, re.M).group(1)


def stage(stage_dir: str, deps: bool, platforms: list[str]) -> None:
    """Lay out the extension source: add-on files, vendored engine, model, wheels, manifest."""
    shutil.rmtree(stage_dir, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "sp4d_blender"), stage_dir,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(os.path.join(ROOT, "engine"), os.path.join(stage_dir, "engine"),
                    ignore=shutil.ignore_patterns(*ENGINE_EXCLUDE))
    # only the bundled checkpoint and the skin refiner: models/ also holds checkpoints still
    # in training
    for name in (_bundled_model_name(), "skin-refiner"):
        bundled = os.path.join("models", name)
        if os.path.isdir(os.path.join(ROOT, bundled)):
            shutil.copytree(os.path.join(ROOT, bundled), os.path.join(stage_dir, bundled),
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheel_dir = os.path.join(stage_dir, "wheels")
    os.makedirs(wheel_dir)
    if deps:
        download_dependency_wheels(wheel_dir, platforms)
    wheels = sorted("./wheels/" + os.path.basename(w) for w in glob.glob(os.path.join(wheel_dir, "*.whl")))
    generated = "platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]\n" if deps else ""
    if wheels:
        generated += "wheels = [\n" + "".join(f'  "{w}",\n' for w in wheels) + "]\n"
    manifest = open(os.path.join(ROOT, "blender_manifest.toml")).read()
    # the marker sits among the top-level keys, before the [permissions]/[build] tables
    manifest = re.sub(r"# @generated by build.py.*\n", generated, manifest)
    with open(os.path.join(stage_dir, "blender_manifest.toml"), "w") as f:
        f.write(manifest)


def build(out_dir: str, platforms: list[str], deps: bool = True, stage_dir: str | None = None) -> list[str]:
    """Build and validate; returns the zip paths (one per platform, or one without deps)."""
    tool = blender_ext_tool()
    stage_dir = os.path.abspath(stage_dir or os.path.join(ROOT, "build", "extension"))
    stage(stage_dir, deps, platforms)
    os.makedirs(out_dir, exist_ok=True)
    before = set(glob.glob(os.path.join(out_dir, "*.zip")))
    cmd = [sys.executable, tool, "build", "--source-dir", stage_dir, "--output-dir", out_dir]
    if deps:
        cmd.append("--split-platforms")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    made = sorted(z for z in glob.glob(os.path.join(out_dir, "sp4d_autorig-*.zip"))
                  if z not in before or os.path.getmtime(z) >= os.path.getmtime(os.path.join(stage_dir,
                                                                                             "blender_manifest.toml")))
    for z in made:
        subprocess.run([sys.executable, tool, "validate", z], check=True, stdout=subprocess.DEVNULL)
    return made


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "dist"))
    ap.add_argument("--no-deps", action="store_true", help="no dependency wheels (a development Blender)")
    ap.add_argument("--platforms", nargs="+", default=sorted(PLATFORM_TAGS), choices=sorted(PLATFORM_TAGS))
    ap.add_argument("--stage-dir", default=os.path.join(ROOT, "build", "extension"),
                    help="scratch folder for the extension source (emptied first)")
    a = ap.parse_args(argv)
    for z in build(a.out_dir, a.platforms, not a.no_deps, a.stage_dir):
        print(f"{os.path.getsize(z) / 1e6:7.1f} MB  {z}  (validated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
