"""Render docs/images/readme_autorig_result.png: what the add-on's buttons leave in the
scene, for the README's "Install in Blender" section (bpy cannot draw Blender's interface
headless, so this is a render of the result, not a screenshot of the panel).

Left: Auto-Rig on examples/human.glb with the shipped SP4D model (seed 0), coloured by
part as Show Parts shows it. Right: the same rig in a frame of the Test Pose wiggle (the
pose ``sp4d autorig --preview`` renders), bones drawn in front.

    .venv/bin/python docs/images/make_readme_render.py
"""

import os
import tempfile

import bpy
from PIL import Image, ImageDraw

from engine.autorig import AutoRigOptions
from engine.rig.pose import wiggle_pose
from sp4d_blender import bridge, preview, rigging, scene_io, scene_rig
from sp4d_blender.scene_rig import PART_COLOR_ATTRIBUTE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

OUT = os.path.join(ROOT, "docs", "images", "readme_autorig_result.png")
PHASE = 2.8  # a frame of the wiggle where the knees and arms bend


def _cropped(path: str, margin: int = 24) -> Image.Image:
    """The render cut to what is not background, plus ``margin`` pixels."""
    im = Image.open(path).convert("RGB")
    box = Image.eval(im.convert("L"), lambda v: 255 if v > 40 else 0).getbbox()
    if box is None:
        return im
    l, t, r, b = box
    return im.crop((max(l - margin, 0), max(t - margin, 0), min(r + margin, im.width),
                    min(b + margin, im.height)))


def main():
    objects = scene_io.load_file(os.path.join(ROOT, "examples", "human.glb"))
    meshes = rigging.input_meshes(objects)
    job = scene_rig.prepare_autorig(meshes, AutoRigOptions(seed=0))
    result = scene_rig.compute_autorig(job)
    arm = scene_rig.apply_autorig(job, result)
    for m in meshes:
        m.data.color_attributes.active_color = m.data.color_attributes[PART_COLOR_ATTRIBUTE]
    with tempfile.TemporaryDirectory() as tmp:
        parts = preview.render_preview(os.path.join(tmp, "parts.png"), meshes, None,
                                       resolution=(900, 1000), color_type="VERTEX")
        pose = os.path.join(tmp, "pose.png")
        preview.apply_pose(arm, wiggle_pose(bridge.skeleton_from_armature(arm), PHASE))
        bpy.context.view_layer.update()
        preview.render_preview(pose, meshes, arm, resolution=(900, 1000))
        left, right = _cropped(parts), _cropped(pose)
        height = max(left.height, right.height)
        background = left.getpixel((0, 0))  # the renders' own background colour
        sheet = Image.new("RGB", (left.width + right.width, height + 36), background)
        sheet.paste(left, (0, 36 + (height - left.height) // 2))
        sheet.paste(right, (left.width, 36 + (height - right.height) // 2))
        draw = ImageDraw.Draw(sheet)
        n_parts = int(result.labels.max()) + 1
        draw.text((12, 10), f"Auto-Rig, then Show Parts: {n_parts} parts", fill="white")
        draw.text((left.width + 12, 10), f"Test Pose: {result.skeleton.n_bones} bones bound",
                  fill="white")
        sheet.save(OUT, optimize=True)
    print(f"wrote {OUT} ({result.made_with()})")


if __name__ == "__main__":
    main()
