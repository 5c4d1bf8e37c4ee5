"""Hub ids resolve to a local folder through huggingface_hub's cache layout and load with
the safetensors loader; nothing here reaches the network (downloads disallowed, or the
cache already holds the model)."""

import os
import shutil

import pytest

from engine.errors import ModelError
from engine.hub import NotCached, is_hub_id, resolve_hub_model

REPO = "sp4d-test/tiny-sp4d"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def write_hub_cache(cache: str, repo_id: str, files_dir: str, commit: str = COMMIT) -> str:
    """Lay out the files of ``files_dir`` in ``cache`` as huggingface_hub writes a
    download: ``models--ORG--NAME/{refs/main, blobs/, snapshots/<commit>/<file>}``, each
    snapshot file a relative link to its blob; returns the snapshot folder. Needs no torch
    (tests/blender/test_extension_install.py uses it for the bpy-only install)."""
    repo = os.path.join(cache, "models--" + repo_id.replace("/", "--"))
    snap = os.path.join(repo, "snapshots", commit)
    os.makedirs(os.path.join(repo, "refs"), exist_ok=True)
    os.makedirs(os.path.join(repo, "blobs"), exist_ok=True)
    os.makedirs(snap, exist_ok=True)
    with open(os.path.join(repo, "refs", "main"), "w") as f:
        f.write(commit)
    for name in sorted(os.listdir(files_dir)):
        blob = os.path.join(repo, "blobs", f"blob-{name}")
        shutil.copy(os.path.join(files_dir, name), blob)
        os.symlink(os.path.relpath(blob, snap), os.path.join(snap, name))
    return snap


@pytest.fixture(scope="module")
def hub_cache(tmp_path_factory):
    """A hub cache folder holding a TINY SP4D model."""
    torch = pytest.importorskip("torch")
    from engine.models import build_model
    from engine.models.configs import TINY

    torch.manual_seed(0)
    model = build_model(TINY)
    saved = tmp_path_factory.mktemp("saved")
    model.save_pretrained(saved, safe_serialization=True)
    cache = tmp_path_factory.mktemp("hub")
    write_hub_cache(str(cache), REPO, str(saved))
    return cache, model


def test_is_hub_id(tmp_path):
    assert is_hub_id("org/name") and is_hub_id("stabilityai/sp4d")
    assert not is_hub_id(str(tmp_path)) and not is_hub_id("./models/x") and not is_hub_id("name")
    assert not is_hub_id("a/b/c") and not is_hub_id(None)


def test_cached_hub_id_resolves_offline_and_loads(hub_cache):
    cache, model = hub_cache
    import torch

    from engine.models import load_sp4d

    folder = resolve_hub_model(REPO, cache_dir=str(cache), allow_download=False)
    assert os.path.basename(folder) == COMMIT and os.path.isfile(os.path.join(folder, "config.json"))
    loaded = load_sp4d(folder)
    assert type(loaded) is type(model)
    expected = model.state_dict()
    for key, value in loaded.state_dict().items():
        torch.testing.assert_close(value, expected[key], rtol=0, atol=0)


def test_uncached_hub_id_without_download_is_one_line(hub_cache, tmp_path):
    cache, _ = hub_cache
    with pytest.raises(ModelError) as err:
        resolve_hub_model("sp4d-test/not-there", cache_dir=str(cache), allow_download=False)
    msg = str(err.value)
    assert "\n" not in msg and "not-there" in msg and "downloading is not allowed" in msg
    assert isinstance(err.value, NotCached)
    with pytest.raises(ModelError) as err:  # an empty cache folder: the same line
        resolve_hub_model(REPO, cache_dir=str(tmp_path), allow_download=False)
    assert "\n" not in str(err.value) and "downloading is not allowed" in str(err.value)


def test_not_a_hub_id_is_refused():
    with pytest.raises(ModelError, match="not a hub model id"):
        resolve_hub_model("no-slash", cache_dir=None)


def test_allowed_download_that_cannot_reach_the_hub_is_one_line(hub_cache, tmp_path):
    """Downloads allowed but the hub unreachable (the tests run with HF_HUB_OFFLINE=1):
    a cached id still resolves, an uncached one is one line."""
    cache, _ = hub_cache
    assert os.path.basename(resolve_hub_model(REPO, cache_dir=str(cache), allow_download=True)) == COMMIT
    with pytest.raises(ModelError) as err:
        resolve_hub_model("sp4d-test/not-there", cache_dir=str(tmp_path), allow_download=True)
    msg = str(err.value)
    assert "\n" not in msg and "not-there" in msg and not isinstance(err.value, NotCached), msg
