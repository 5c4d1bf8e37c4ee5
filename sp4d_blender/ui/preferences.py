"""Add-on preferences: device, sampling, model source."""

from __future__ import annotations

import bpy

from engine.errors import ModelError

from ..paths import bundled_model_dir

ADDON = __package__.rpartition(".")[0]  # 'sp4d_blender' or 'bl_ext.<repo>.sp4d_autorig'


def _devices(self, context):
    items = [("cpu", "CPU", "Run the model on the CPU")]
    try:
        import torch

        if torch.cuda.is_available():
            items.append(("cuda", f"CUDA ({torch.cuda.get_device_name(0)})", "Run on the NVIDIA GPU"))
    except Exception:  # torch missing or broken: CPU is still offered, the job will say why
        pass
    return items


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

    def draw(self, context):
        col = self.layout.column()
        col.prop(self, "device")
        col.prop(self, "steps")
        col.prop(self, "model_source")
        if self.model_source == "FOLDER":
            col.prop(self, "model_folder")
        elif self.model_source == "HUB":
            col.prop(self, "hub_id")
            if not bpy.app.online_access:
                col.label(text="Online access is off (Preferences > System): only cached files load",
                          icon="ERROR")


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
            "allow_download": prefs.model_source == "HUB" and bpy.app.online_access}


classes = (SP4DPreferences,)

register, unregister = bpy.utils.register_classes_factory(classes)
