"""Add-on preferences: device, sampling, model source."""

from __future__ import annotations

import os

import bpy

from ..engine.errors import ModelError

from ..paths import bundled_model_dir

ADDON = __package__.rpartition(".")[0]  # 'sp4d_blender' or 'bl_ext.<repo>.sp4d_autorig'


# The device list is probed once, at register time, never while the preferences draw
# (importing torch there froze the interface for seconds). Blender does not copy the
# strings an EnumProperty items callback returns: they must stay referenced from Python,
# else Blender may read freed memory (the documented crash hazard), so the one list is
# kept here for the add-on's lifetime.
_DEVICE_ITEMS: list[tuple[str, str, str]] = [("cpu", "CPU", "Run the model on the CPU")]


def probe_devices() -> list[tuple[str, str, str]]:
    """Enum items of the devices SP4D can run on. Asks torch about CUDA only when torch is
    installed and already imported or cheap to find; never raises."""
    import importlib.util
    import sys

    items = [("cpu", "CPU", "Run the model on the CPU")]
    try:
        if importlib.util.find_spec("torch") is None:
            return items
        torch = sys.modules.get("torch")
        if torch is None:
            # torch is installed but not loaded: name CUDA without importing it (the job
            # falls back to the CPU with a warning when no CUDA device is there)
            if _nvidia_driver_present():
                items.append(("cuda", "CUDA", "Run on the NVIDIA GPU (falls back to the CPU if unavailable)"))
            return items
        if torch.cuda.is_available():
            items.append(("cuda", f"CUDA ({torch.cuda.get_device_name(0)})", "Run on the NVIDIA GPU"))
    except Exception:  # a broken torch: CPU is still offered, the job will say why
        pass
    return items


def _nvidia_driver_present() -> bool:
    """An NVIDIA driver is loaded (Linux: /proc/driver/nvidia; Windows: nvcuda.dll)."""
    import ctypes.util
    import os

    return os.path.exists("/proc/driver/nvidia/version") or ctypes.util.find_library("nvcuda") is not None


# whether hub ids can be resolved at all (set at register time with the devices)
_HAS_HUB_CLIENT = False


def _devices(self, context):
    return _DEVICE_ITEMS


class SP4DPreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON

    device: bpy.props.EnumProperty(name="Device", items=_devices)
    steps: bpy.props.IntProperty(name="Sampling Steps", default=0, min=0, max=100,
                                 description="Diffusion steps (0 = the model's default)")
    model_source: bpy.props.EnumProperty(
        name="Model", default="BUNDLED",
        items=[("BUNDLED", "Bundled", "The compact SP4D checkpoint shipped with the add-on"),
               ("FOLDER", "Local Folder", "A folder with config.json and safetensors weights"),
               ("HUB", "Hub ID", "A model id on the Hugging Face hub (needs online access)")])
    model_folder: bpy.props.StringProperty(name="Folder", subtype="DIR_PATH")
    hub_id: bpy.props.StringProperty(name="Hub ID", default="stabilityai/sp4d")
    hub_download: bpy.props.BoolProperty(
        name="Download from the Hugging Face Hub", default=False,
        description="Allow SP4D to download this model's config.json and safetensors weights "
                    "(needs Allow Online Access in Preferences > System > Network); without it "
                    "only an already downloaded copy is used")

    def draw(self, context):
        col = self.layout.column()
        col.prop(self, "device")
        col.prop(self, "steps")
        col.prop(self, "model_source")
        if self.model_source == "FOLDER":
            col.prop(self, "model_folder")
        elif self.model_source == "HUB":
            col.prop(self, "hub_id")
            if not _HAS_HUB_CLIENT:
                col.label(text="huggingface_hub is not installed: hub models cannot be loaded",
                          icon="ERROR")
            col.prop(self, "hub_download")
            if not bpy.app.online_access:
                col.label(text="Online access is off (Preferences > System > Network): "
                               "only downloaded models load", icon="ERROR")
            col.label(text=f"Downloads go to {hub_cache_dir(create=False)}", icon="FILE_FOLDER")


def engine_settings(context) -> dict:
    """AutoRigOptions fields from the preferences (defaults when the add-on is not
    registered, e.g. from the sp4d command)."""
    addon = context.preferences.addons.get(ADDON)
    prefs = addon.preferences if addon else None
    if prefs is None:
        return {"model": bundled_model_dir(), "device": "cpu", "steps": None, "allow_download": False}
    if prefs.model_source == "FOLDER":
        if not prefs.model_folder:
            raise ModelError("no model folder set in the SP4D preferences")
        model = bpy.path.abspath(prefs.model_folder)
    elif prefs.model_source == "HUB":
        model = prefs.hub_id
    else:
        model = bundled_model_dir()
    return {"model": model, "device": prefs.device, "steps": prefs.steps or None,
            "allow_download": bool(prefs.model_source == "HUB" and prefs.hub_download
                                   and bpy.app.online_access)}


def hub_cache_dir(create: bool = True) -> str:
    """Where hub models are downloaded: the extension's user folder (``hub``), which
    survives extension updates; for the add-on run from a source checkout, a folder in
    Blender's user data files."""
    try:
        return bpy.utils.extension_path_user(ADDON, path="hub", create=create)
    except ValueError:  # not installed as an extension
        return bpy.utils.user_resource("DATAFILES", path=os.path.join("sp4d", "hub"), create=create)


def model_fetcher(options, allow_download: bool):
    """Main thread: for ``options.model`` naming a hub id, a function (safe on a worker
    thread) that resolves it to a local folder in ``hub_cache_dir()`` - downloading it
    when ``allow_download`` (``engine_settings``: hub source, the user's consent and
    Blender's online access) - and sets ``options.model`` to that folder; None for
    a local folder or the bundled model. The engine then loads the folder's safetensors."""
    from ..engine.hub import is_hub_id

    if not is_hub_id(options.model):
        return None
    repo_id, cache, allow = options.model, hub_cache_dir(), bool(allow_download)

    def fetch(progress=None) -> str:
        from ..engine.hub import NotCached, resolve_hub_model

        if progress:
            progress(0.0, f"downloading {repo_id}" if allow else f"finding {repo_id}")
        try:
            options.model = resolve_hub_model(repo_id, cache_dir=cache, allow_download=allow)
        except NotCached as exc:
            raise ModelError(f"{exc}: turn on Allow Online Access (Preferences > System > Network) "
                             "and tick 'Download from the Hugging Face Hub' in the SP4D add-on "
                             "preferences") from None
        return options.model

    return fetch


classes = (SP4DPreferences,)

_register, unregister = bpy.utils.register_classes_factory(classes)


def register():
    import importlib.util

    global _HAS_HUB_CLIENT
    _DEVICE_ITEMS[:] = probe_devices()  # in place: the list object Blender sees stays the same
    _HAS_HUB_CLIENT = importlib.util.find_spec("huggingface_hub") is not None
    _register()
