"""Shared test setup.

Blender's user folders point at a temp dir so tests never touch the user's config.

Reference models (evaluation only, never training): ``../shared/assets`` when it is
there (``SP4D_SHARED_ASSETS`` overrides the folder); without it, the small CC0 and
procedural models bundled in ``tests/data`` (README there) stand in, so a clean clone
still runs the tests on real rigged files. A test that needs one particular artist model
(its bone names, its measured quality) asks ``asset_path(name, stand_in=False)``.

In CI (``CI`` set to true, as ``.ci/run`` is run) nothing the environment should provide
may be missing: ``../shared/assets``, ``bpy`` or the glTF validator missing FAILS the
tests that need them (``missing``) instead of skipping them, and bundled stand-ins are
not used in place of ``../shared``.
"""

import os
import tempfile

import numpy as np

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def seg_dist(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) distances of points p (N, 3) to the segment a-b (a point when a == b)."""
    ab = b - a
    t = np.clip(((p - a) @ ab) / max(float(ab @ ab), 1e-18), 0, 1)
    return np.linalg.norm(p - (a + t[:, None] * ab), axis=1)
if "BLENDER_USER_RESOURCES" not in os.environ:
    # this session's own folder, removed when the session ends (``pytest_unconfigure``)
    _USER_RESOURCES = tempfile.mkdtemp(prefix="sp4d-blender-user-")
    os.environ["BLENDER_USER_RESOURCES"] = _USER_RESOURCES
else:
    _USER_RESOURCES = None
os.environ.setdefault("HF_HUB_OFFLINE", "1")

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
ASSETS_DIR = os.path.normpath(os.environ.get("SP4D_SHARED_ASSETS") or os.path.join(ROOT, "..", "shared", "assets"))
BUNDLED_DIR = os.path.join(ROOT, "tests", "data")
CACHE_DIR = os.path.join(ROOT, ".cache", "assets")

# ../shared model -> the bundled model that stands in for it when ../shared is absent
STAND_INS = {
    "humanoid_khronos_CesiumMan": "synth_humanoid",
    "humanoid_khronos_RiggedFigure": "synth_humanoid",
    "humanoid_gdquest_Mannequiny": "insect_quaternius_Bee",      # several shells, seams
    "quadruped_khronos_Fox": "synth_quadruped",
    "creature_quaternius_Trex": "fish_quaternius_Dolphin",        # open, non-manifold
    "simple_khronos_RiggedSimple": "simple_khronos_SimpleSkin",   # two bones
}


def pytest_unconfigure(config):
    """Remove the Blender user folder this session made (never one given from outside)."""
    if _USER_RESOURCES is not None:
        import shutil

        shutil.rmtree(_USER_RESOURCES, ignore_errors=True)


def missing(what: str):
    """Skip the calling test because ``what`` is missing; in CI fail it instead."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: the test environment must provide it)", pytrace=False)
    pytest.skip(what)


def shared_assets_present() -> bool:
    return os.path.isdir(ASSETS_DIR)


def _find(folder: str, name: str):
    for ext in (".glb", ".gltf"):
        p = os.path.join(folder, name + ext)
        if os.path.exists(p):
            return p
    return None


# bundled models that are not copies of ../shared models (tests/data/make_reference_models.py):
# always read from tests/data, in CI too
BUNDLED_ONLY = ("synth_humanoid", "synth_quadruped")


def asset_path(name: str, stand_in: bool = True) -> str:
    """Path of reference model ``name`` (file stem, e.g. 'quadruped_khronos_Fox'): a
    ``BUNDLED_ONLY`` model from tests/data; else from ../shared/assets; else the bundled copy of that model; else (``stand_in``) the
    bundled model that stands in for it (``STAND_INS``). Outside CI, skips the test
    when none is found; in CI, ../shared/assets must hold it."""
    if name in BUNDLED_ONLY:
        p = _find(BUNDLED_DIR, name)
        if p:
            return p
        missing(f"bundled test model {name} not found in {BUNDLED_DIR}")
    p = _find(ASSETS_DIR, name)
    if p:
        return p
    if IN_CI:
        missing(f"reference model {name} not found in {ASSETS_DIR}")
    p = _find(BUNDLED_DIR, name)
    if p:
        return p
    if stand_in and name in STAND_INS:
        return _find(BUNDLED_DIR, STAND_INS[name])
    missing(f"reference model {name} not found in {ASSETS_DIR}"
            + ("" if stand_in or name not in STAND_INS else " (this test needs that very model)"))


@pytest.fixture(scope="session")
def reference_model():
    """Loader of a reference model as an engine RiggedModel (cached as .npz across runs,
    keyed by the file it was read from). ``load(name, stand_in=True)``: see asset_path."""
    from engine.eval.reference import RiggedModel

    def load(name: str, stand_in: bool = True):
        path = asset_path(name, stand_in)
        stem = os.path.splitext(os.path.basename(path))[0]
        folder = CACHE_DIR if os.path.dirname(path) == ASSETS_DIR else os.path.join(CACHE_DIR, "bundled")
        cached = os.path.join(folder, stem + ".npz")
        if not os.path.exists(cached) or os.path.getmtime(cached) < os.path.getmtime(path):
            from sp4d_blender.reference import read_rigged_file

            os.makedirs(folder, exist_ok=True)
            read_rigged_file(path).save(cached)
        return RiggedModel.load(cached)

    return load


def box_mesh(lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """A closed box from corner ``lo`` to ``hi``: 8 vertices, 12 outward triangles."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    v = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    f = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                  [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    return v, f


# the cart of the rigid-pieces tests: bone name -> (head, tail); every bone but the root
# hangs from the root
CART_BONES = {"root": ([-1.9, 0, 0.5], [1.9, 0, 0.5]), "wing.R": ([0, -2.9, 0.5], [0, -2.6, 0.5]),
              "wing.L": ([0, 2.9, 0.5], [0, 2.6, 0.5]), "arm.R": ([-1.5, 0, 1.25], [-0.2, 0, 1.25]),
              "arm.L": ([1.5, 0, 1.25], [0.2, 0, 1.25])}


def cart_mesh() -> tuple[np.ndarray, np.ndarray]:
    """(vertices (32, 3), faces (48, 3)) of the cart: a body the root bone runs through, two
    wings (separate pieces flush with its sides) each holding one short bone at its far
    end, and a plate on top that the two arm bones enter; 8 vertices a piece, in that order."""
    boxes = [box_mesh([-2, -1, 0], [2, 1, 1]), box_mesh([-0.5, -3, 0.3], [0.5, -1, 0.7]),
             box_mesh([-0.5, 1, 0.3], [0.5, 3, 0.7]), box_mesh([-1, -0.5, 1.1], [1, 0.5, 1.4])]
    return np.concatenate([b[0] for b in boxes]), np.concatenate([b[1] + 8 * k for k, b in enumerate(boxes)])


def check_cart_pieces(rigid: np.ndarray, blended: np.ndarray, atol: float | None = 1e-3) -> None:
    """The cart's (32, 5) weights (bones in CART_BONES order) with rigid pieces on and off:
    each wing wholly on its own bone when on, other bones reaching into it when off; body
    and plate alike either way (within ``atol``; None: identical)."""
    for k, bone in ((1, 1), (2, 2)):
        np.testing.assert_allclose(rigid[8 * k:8 * k + 8, bone], 1.0, atol=1e-6)
        assert blended[8 * k:8 * k + 8, bone].min() < 0.7
    for k in (0, 3):
        if atol is None:
            np.testing.assert_array_equal(rigid[8 * k:8 * k + 8], blended[8 * k:8 * k + 8])
        else:
            np.testing.assert_allclose(rigid[8 * k:8 * k + 8], blended[8 * k:8 * k + 8], atol=atol)
