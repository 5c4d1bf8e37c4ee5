"""Render a preview PNG of rigged objects (Workbench: fast and headless-safe)."""

from __future__ import annotations

import math
import os

import numpy as np

import bpy
from mathutils import Vector

from .engine.rig.display import bone_octahedra
from .engine.rig.pose import wiggle_pose

from . import bridge
from .blender_io import captured_stderr


def _bounds(objects) -> tuple[np.ndarray, np.ndarray]:
    depsgraph = bpy.context.evaluated_depsgraph_get()
    pts = []
    for o in objects:
        ev = o.evaluated_get(depsgraph)
        m = ev.to_mesh()
        co = np.empty(len(m.vertices) * 3)
        m.vertices.foreach_get("co", co)
        ev.to_mesh_clear()
        mw = np.array(o.matrix_world)
        pts.append(co.reshape(-1, 3) @ mw[:3, :3].T + mw[:3, 3])
    pts = np.concatenate(pts)
    return pts.min(0), pts.max(0)


def render_preview(path: str, mesh_objects, armature=None, resolution=(800, 600),
                   azimuth_deg: float = 35.0, elevation_deg: float = 15.0,
                   color_type: str = "OBJECT") -> str:
    """Write a PNG of ``mesh_objects`` (evaluated, so posed rigs show their pose) with the
    armature drawn in front, from a 3/4 view that frames the bounding box.
    ``color_type``: Workbench colouring ('OBJECT' grey; 'VERTEX' the active colour
    attribute, e.g. Auto-Rig's part colours as Show Parts shows them).

    The camera is temporary: the scene is left as it was, apart from render settings.
    """
    scene = bpy.context.scene
    lo, hi = _bounds(mesh_objects)
    centre = (lo + hi) / 2
    radius = float(np.linalg.norm(hi - lo)) / 2 or 1.0
    cam_data = bpy.data.cameras.new("SP4D_preview_cam")
    cam_data.lens_unit = "FOV"
    cam_data.angle = math.radians(40)
    cam_data.clip_start = radius * 0.01
    cam_data.clip_end = radius * 100
    cam = bpy.data.objects.new("SP4D_preview_cam", cam_data)
    scene.collection.objects.link(cam)
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    dist = radius / math.sin(cam_data.angle / 2) * 1.05
    # importers convert to Blender's Z-up, so orbit around Z
    offset = Vector((math.sin(az) * math.cos(el), -math.cos(az) * math.cos(el), math.sin(el)))
    cam.location = Vector(centre.tolist()) + offset * dist
    cam.rotation_euler = (-offset).to_track_quat("-Z", "Y").to_euler()
    bones = _bone_object(armature, scene) if armature is not None else None
    old = (scene.camera, scene.render.engine, scene.render.resolution_x, scene.render.resolution_y,
           scene.render.filepath, scene.render.film_transparent)
    shading = scene.display.shading
    old_shading = (shading.light, shading.color_type, shading.show_xray, shading.xray_alpha,
                   shading.show_cavity)
    try:
        scene.camera = cam
        scene.render.engine = "BLENDER_WORKBENCH"
        scene.render.resolution_x, scene.render.resolution_y = resolution
        scene.render.resolution_percentage = 100
        scene.render.film_transparent = False
        scene.render.image_settings.file_format = "PNG"
        shading.light = "STUDIO"
        # object colours: grey mesh seen through (X-ray), bones in a bright colour inside
        shading.color_type = color_type
        shading.show_xray = bones is not None
        shading.xray_alpha = 0.55
        shading.show_cavity = True
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        scene.render.filepath = os.path.abspath(path)
        with captured_stderr():  # EGL errors of the GPU start, 'Saved: <temporary name>'
            bpy.ops.render.render(write_still=True)
    finally:
        (scene.camera, scene.render.engine, scene.render.resolution_x, scene.render.resolution_y,
         scene.render.filepath, scene.render.film_transparent) = old
        (shading.light, shading.color_type, shading.show_xray, shading.xray_alpha,
         shading.show_cavity) = old_shading
        if bones is not None:
            mesh = bones.data
            bpy.data.objects.remove(bones)
            bpy.data.meshes.remove(mesh)
        bpy.data.objects.remove(cam)
        bpy.data.cameras.remove(cam_data)
    return path


def _bone_object(armature, scene):
    """A temporary mesh of octahedral bones in the armature's current pose."""
    verts, faces = bone_octahedra(bridge.posed_skeleton(armature))
    mesh = bpy.data.meshes.new("SP4D_preview_bones")
    mesh.from_pydata(verts.tolist(), [], faces.tolist())
    obj = bpy.data.objects.new("SP4D_preview_bones", mesh)
    obj.color = (1.0, 0.45, 0.05, 1.0)
    scene.collection.objects.link(obj)
    return obj


def apply_pose(armature, quaternions) -> None:
    """Set local pose rotations (B, 4) (w, x, y, z), in ``armature.data.bones`` order."""
    for bone, q in zip(armature.data.bones, quaternions):
        pb = armature.pose.bones[bone.name]
        pb.rotation_mode = "QUATERNION"
        pb.rotation_quaternion = [float(x) for x in q]


def clear_pose(armature) -> None:
    for pb in armature.pose.bones:
        pb.location = (0, 0, 0)
        pb.rotation_quaternion = (1, 0, 0, 0)
        pb.scale = (1, 1, 1)


def render_test_pose_preview(path: str, mesh_objects, armature, phase: float = 1.2) -> str:
    """Render ``mesh_objects`` bent by a wiggle test pose of ``armature`` (a still of the
    Test Pose animation), then put the armature back in its rest pose."""
    skeleton = bridge.skeleton_from_armature(armature)
    apply_pose(armature, wiggle_pose(skeleton, phase))
    bpy.context.view_layer.update()
    try:
        return render_preview(path, mesh_objects, armature)
    finally:
        clear_pose(armature)
        bpy.context.view_layer.update()
