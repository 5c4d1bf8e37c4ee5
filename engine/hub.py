"""SP4D weights from the Hugging Face hub: a hub id -> a local folder ``load_sp4d`` reads.

Only ``config.json`` and ``*.safetensors`` files are ever fetched (no pickled weights, no
code). Nothing is downloaded unless the caller passes ``allow_download=True``; otherwise
the id must already be in ``cache_dir`` (the hub's cache layout:
``models--ORG--NAME/snapshots/<commit>/...`` with ``refs/main`` naming the commit).
No bpy and no torch here (the ONNX Runtime path in Blender runs without torch): the
add-on passes its own cache folder and the user's consent; the folder this returns loads
like any local model folder (``engine.models.load_sp4d`` or ``engine.runtime``).
``huggingface_hub`` comes from the install (pyproject) or, in Blender, from the wheels the
extension zip bundles (build.py: without the optional ``hf_xet``, so downloads go over
plain HTTPS).
"""

from __future__ import annotations

import os
import re

from .errors import ModelError

ALLOW_PATTERNS = ["*.json", "*.safetensors"]


class NotCached(ModelError):
    """The hub id is not in the cache and downloading was not allowed."""

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")


def is_hub_id(source: str | None) -> bool:
    """``source`` names a hub model ('org/name') rather than a local folder."""
    if not source or os.path.exists(source) or os.path.isabs(source) or source.startswith("."):
        return False
    return bool(_HUB_ID.match(source))


def resolve_hub_model(repo_id: str, cache_dir: str | None = None, allow_download: bool = False,
                      revision: str | None = None) -> str:
    """Local folder (the cached snapshot) holding ``repo_id``'s config.json and safetensors
    weights, downloaded into ``cache_dir`` first when ``allow_download``; without it only
    an existing cache entry resolves. Raises ModelError with one line otherwise."""
    if not is_hub_id(repo_id):
        raise ModelError(f"'{repo_id}' is not a hub model id (expected 'organisation/name')")
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        raise ModelError("loading a hub model needs the huggingface_hub package, which is not "
                         "installed") from None
    where = cache_dir or "the default hub cache"
    try:
        folder = snapshot_download(repo_id, revision=revision, cache_dir=cache_dir,
                                   allow_patterns=ALLOW_PATTERNS,
                                   local_files_only=not allow_download)
    except LocalEntryNotFoundError:
        if allow_download:
            raise ModelError(f"cannot download SP4D model '{repo_id}': the hub cannot be reached "
                             f"and it is not in {where}") from None
        raise NotCached(f"SP4D model '{repo_id}' is not in {where} and downloading is not "
                        "allowed") from None
    except Exception as exc:  # hub errors: unknown repo, gated, network, disk
        text = str(exc).strip().splitlines()
        raise ModelError(f"cannot get SP4D model '{repo_id}' from the hub: "
                         f"{(text[0] if text else type(exc).__name__)[:200]}") from None
    for name in ("config.json", "diffusion_pytorch_model.safetensors"):
        if not os.path.isfile(os.path.join(folder, name)):
            raise ModelError(f"SP4D model '{repo_id}' has no {name} (only safetensors weights "
                             "are loaded)")
    return folder
