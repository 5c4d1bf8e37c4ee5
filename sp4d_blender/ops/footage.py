"""Auto-Rig from Footage: the active Movie Clip -> engine.footage -> a coloured mesh with
an armature and weights. ``sp4d footage`` runs the same prepare/compute/apply phases."""

from __future__ import annotations

import importlib.util
import os

import bpy
import numpy as np

from ..engine.errors import InputError

from .. import bridge
from ..attributes import write_vertex_colors
from ..jobs import JobOperator

COLOR_ATTRIBUTE = "sp4d_footage_color"


def _footage_missing() -> list[str]:
    """What the footage job imports that this Python lacks (find_spec imports nothing):
    OpenCV (video), scikit-image (marching cubes), and a runtime for SP4D (ONNX Runtime or
    torch). Empty when everything is there."""
    has = lambda m: importlib.util.find_spec(m) is not None
    missing = [name for mod, name in (("cv2", "OpenCV"), ("skimage", "scikit-image")) if not has(mod)]
    if not (has("onnxruntime") or has("torch")):
        missing.append("ONNX Runtime")
    return missing


_MISSING = _footage_missing()   # looked up once, at registration


# ------------------------------------------------------------------ bpy <-> engine
def active_clip(context):
    """The Movie Clip to rig: the Clip Editor's clip, else the scene's active clip, else
    the only clip in the file. Raises InputError when there is none to choose."""
    space = getattr(context, "space_data", None)
    clip = getattr(space, "clip", None) if space is not None and space.type == "CLIP_EDITOR" else None
    clip = clip or context.scene.active_clip
    if clip is None and len(bpy.data.movieclips) == 1:
        clip = bpy.data.movieclips[0]
    if clip is None:
        raise InputError("no movie clip: open the footage in the Movie Clip Editor (or set the "
                         "scene's active clip) first")
    return clip


def clip_source(clip) -> str:
    """File the engine reads for ``clip``: the movie file, or for an image sequence the
    folder holding its frames."""
    path = bpy.path.abspath(clip.filepath)
    if clip.source == "SEQUENCE":
        path = os.path.dirname(path)
    if not os.path.exists(path):
        raise InputError(f"the footage of clip '{clip.name}' is missing: {path}")
    return path


def _material(name: str):
    """A material showing the vertex colours (also what the glTF exporter writes as
    the mesh's COLOR_0)."""
    mat = bpy.data.materials.new(name)
    nodes = mat.node_tree.nodes
    bsdf = next(n for n in nodes if n.type == "BSDF_PRINCIPLED")
    attr = nodes.new("ShaderNodeVertexColor")
    attr.layer_name = COLOR_ATTRIBUTE
    mat.node_tree.links.new(attr.outputs["Color"], bsdf.inputs["Base Color"])
    return mat


def build_mesh_object(name: str, mesh, colors: np.ndarray, collection=None):
    """A new mesh object (identity transform) from engine MeshData, with vertex colours."""
    collection = collection or bpy.context.scene.collection
    data = bpy.data.meshes.new(name)
    data.from_pydata(mesh.vertices.tolist(), [], mesh.faces.tolist())
    data.validate()
    data.update()
    obj = bpy.data.objects.new(name, data)
    collection.objects.link(obj)
    if len(data.vertices) != mesh.n_vertices:  # validate() must not have dropped vertices
        raise InputError("the reconstructed mesh could not be built in Blender")
    rgba = np.hstack([np.asarray(colors, np.float32), np.ones((len(colors), 1), np.float32)])
    write_vertex_colors([obj], COLOR_ATTRIBUTE, rgba)
    data.materials.append(_material(name + "_color"))
    for poly in data.polygons:
        poly.use_smooth = True
    return obj


def apply_footage(result, name: str = "SP4D_Footage", collection=None):
    """Write a FootageResult into the scene: mesh + armature + weights, bound.
    Returns (mesh object, armature object)."""
    obj = build_mesh_object(name, result.mesh, result.colors, collection)
    arm = bridge.build_armature(result.rig.skeleton, name + "_Rig", collection)
    bridge.write_weights([obj], result.rig.skeleton.names, result.rig.weights)
    bridge.bind([obj], arm)
    return obj, arm


# ------------------------------------------------------------------ operator
class SP4D_OT_autorig_footage(JobOperator, bpy.types.Operator):
    """Reconstruct the object seen in the active movie clip with SP4D's generated views and
    rig it: a coloured mesh, an armature and weights (runs in the background; Esc cancels)"""

    bl_idname = "sp4d.autorig_footage"
    bl_label = "Auto-Rig from Footage"
    bl_options = {"REGISTER", "UNDO"}

    frames: bpy.props.IntProperty(name="Frames", default=4, min=3, max=16,
                                  description="Frames spread over the clip given to the model")
    azimuth: bpy.props.FloatProperty(name="Camera Azimuth", default=0.0, min=-180, max=180,
                                     description="Degrees the camera is turned from the object's front")
    elevation: bpy.props.FloatProperty(name="Camera Elevation", default=15.0, min=-30, max=60,
                                       description="Degrees the camera looks down on the object")
    size: bpy.props.FloatProperty(name="Size", default=1.0, min=0.01, unit="LENGTH",
                                  description="Longest side of the result (footage has no scale)")
    use_motion: bpy.props.BoolProperty(name="Joints From Motion", default=True,
                                       description="Put joints at pivots seen moving between frames")
    seed: bpy.props.IntProperty(name="Seed", default=0, min=0)
    steps: bpy.props.IntProperty(name="Steps", default=0, min=0, max=200,
                                 description="Diffusion sampling steps (0 = from the preferences)")

    @classmethod
    def poll(cls, context):
        if context.mode != "OBJECT":
            cls.poll_message_set("Auto-Rig from Footage works in Object Mode")
            return False
        if _MISSING:
            cls.poll_message_set(f"Auto-Rig from Footage needs {' and '.join(_MISSING)}, which this Blender "
                                 "lacks: use 'sp4d footage' from the install (scripts/install.sh)")
            return False
        return True

    def prepare(self, context):
        from ..engine.footage import FootageOptions, rig_footage  # OpenCV etc.: only when a job runs

        from ..ui.preferences import engine_settings

        settings = engine_settings(context)
        clip = active_clip(context)
        source = clip_source(clip)
        self._name = bpy.path.clean_name(clip.name.rsplit(".", 1)[0]) or "Footage"
        options = FootageOptions(frames=self.frames, model=settings["model"], device=settings["device"],
                                 steps=self.steps or settings["steps"], seed=self.seed, azimuth_deg=self.azimuth,
                                 elevation_deg=self.elevation, size=self.size, use_motion=self.use_motion)
        from ..ui.preferences import model_fetcher

        fetch = model_fetcher(options, settings["allow_download"])

        def compute(progress):
            if fetch is not None:  # a hub id: find or download it on this worker thread
                fetch(progress)
            return rig_footage(source, options, progress)

        return compute

    def apply(self, context, result) -> str:
        obj, arm = apply_footage(result, self._name)
        for w in result.warnings:
            self.report({"WARNING"}, w)
        total = sum(result.timings.values())
        return (f"Auto-Rig from Footage: {len(result.mesh.faces)} triangles, {result.rig.skeleton.n_bones} bones "
                f"({result.motion.n_moved} joints from motion) -> '{obj.name}', '{arm.name}' in {total:.1f}s")


classes = (SP4D_OT_autorig_footage,)

register, unregister = bpy.utils.register_classes_factory(classes)
