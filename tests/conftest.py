"""Shared test setup.

Blender's user folders point at a temp dir so tests never touch the user's config; the
reference models come from ``../shared/assets`` (evaluation only, never training).
"""

import os
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="sp4d-blender-user-"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ASSETS_DIR = os.path.normpath(os.path.join(ROOT, "..", "shared", "assets"))
CACHE_DIR = os.path.join(ROOT, ".cache", "assets")


def asset_path(name: str) -> str:
    """Path of a reference model in ../shared/assets by file stem (e.g. 'quadruped_khronos_Fox')."""
    for ext in (".glb", ".gltf"):
        p = os.path.join(ASSETS_DIR, name + ext)
        if os.path.exists(p):
            return p
    pytest.skip(f"reference model {name} not found in {ASSETS_DIR}")


@pytest.fixture(scope="session")
def reference_model():
    """Loader of a reference model as an engine RiggedModel (cached as .npz across runs)."""
    from engine.eval.reference import RiggedModel

    def load(name: str):
        cached = os.path.join(CACHE_DIR, name + ".npz")
        if not os.path.exists(cached):
            from sp4d_blender.reference import read_rigged_file

            os.makedirs(CACHE_DIR, exist_ok=True)
            read_rigged_file(asset_path(name)).save(cached)
        return RiggedModel.load(cached)

    return load
