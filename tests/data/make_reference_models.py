"""Write the procedural reference models bundled in tests/data (run from the repository
root with the venv's Python, which has Blender as the ``bpy`` module):

    .venv/bin/python tests/data/make_reference_models.py

Each is an ``engine.synth`` object (fixed seed, category and marching-cubes resolution)
in its rest pose, scaled x2 (about 1.8 units tall/long), with its skeleton as an
armature and its skinning weights as vertex groups, exported as GLB without normals,
UVs or colours to stay small. As in many game rigs (the Fox's ``_rootJoint``), a
``root`` bone on the ground below the hips, weighting no vertex, parents the skeleton.
The same arguments always give the same models.
"""

from __future__ import annotations

import os

import bpy
import numpy as np

from engine.rig import Skeleton, SkinWeights
from engine.synth import generate
from sp4d_blender import bridge

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

OUT = os.path.join(ROOT, "tests", "data")
MODELS = {  # file stem: (seed, category, resolution)
    "synth_humanoid": (3, "humanoid", 44),
    "synth_quadruped": (11, "quadruped", 44),
}
SCALE = 2.0


def write_model(stem: str, seed: int, category: str, resolution: int) -> str:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    o = generate(seed, category, n_frames=1, resolution=resolution)
    v = o.vertices.astype(np.float64) * SCALE
    mesh = bpy.data.meshes.new(stem)
    mesh.from_pydata(v.tolist(), [], o.faces.tolist())
    mesh.validate()
    obj = bpy.data.objects.new(stem, mesh)
    bpy.context.scene.collection.objects.link(obj)
    sk = o.skeleton
    hip = sk.heads[sk.parents < 0][0] * SCALE
    ground = np.array([hip[0], hip[1], v[:, 2].min()])
    heads = np.vstack([ground, sk.heads * SCALE])
    tails = np.vstack([ground + [0, 0, 0.1 * (hip[2] - ground[2])], sk.tails * SCALE])
    parents = np.r_[-1, np.where(sk.parents < 0, 0, sk.parents + 1)]
    names = ["root"] + list(sk.names)
    arm = bridge.build_armature(Skeleton(names, heads, tails, parents), stem + "_rig")
    bridge.write_weights([obj], names, SkinWeights(np.where(o.weights.indices >= 0, o.weights.indices + 1, -1),
                                                   o.weights.weights))
    bridge.bind([obj], arm)
    path = os.path.join(OUT, stem + ".glb")
    bpy.ops.export_scene.gltf(filepath=path, export_format="GLB", use_selection=False, export_skins=True,
                              export_animations=False, export_normals=False, export_texcoords=False,
                              export_materials="NONE", export_yup=True, export_apply=False)
    return path


if __name__ == "__main__":
    for stem, args in MODELS.items():
        p = write_model(stem, *args)
        print(p, f"{os.path.getsize(p) / 1024:.0f} KB")
