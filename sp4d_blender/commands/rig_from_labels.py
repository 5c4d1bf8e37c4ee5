"""``sp4d rig-from-labels INPUT --labels L.npy -o OUTPUT``: skeleton + weights from given
per-vertex part labels (tests the rigging core without the model).

L.npy holds one integer label per vertex of INPUT's mesh objects taken in name order,
each object's vertices in its own order (``rigging.input_meshes``). Armatures already in
INPUT are ignored.
"""

from __future__ import annotations

import os


def add_arguments(parser) -> None:
    parser.add_argument("input", metavar="INPUT", help=".glb/.gltf/.fbx/.obj/.blend with meshes")
    parser.add_argument("--labels", required=True, metavar="L.npy",
                        help="(N,) integer part label per vertex, meshes in name order")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT", help=".glb/.fbx/.blend")
    parser.add_argument("--preset", choices=("unity", "unreal"), default="unity",
                        help="FBX preset when OUTPUT is .fbx (default: unity)")
    parser.add_argument("--max-influences", type=int, default=4, metavar="K",
                        help="bones per vertex (default: 4)")
    parser.add_argument("--overwrite", action="store_true",
                        help="allow OUTPUT to be the INPUT file (replaced only on success)")


def _load_labels(path: str):
    import numpy as np

    from ..engine.errors import InputError

    if not os.path.isfile(path):
        raise InputError(f"labels file not found: {path}")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise InputError(f"could not read labels {os.path.basename(path)}: {exc}") from None


def run(args) -> int:
    from ..engine.skin import SkinOptions

    from .. import export, rigging, scene_io
    from ..outputs import OutputFiles

    with OutputFiles(inputs=[args.input, args.labels], overwrite=args.overwrite) as out:
        tmp = out.add(args.output, "OUTPUT", export.EXPORT_EXTS)
        labels = _load_labels(args.labels)
        objects = scene_io.load_file(args.input)
        meshes = rigging.command_meshes(objects, os.path.basename(args.input))
        plan = rigging.plan_rig_from_labels(meshes, labels, SkinOptions(max_influences=args.max_influences))
        old = [o for o in objects if o.type == "ARMATURE"]
        arm = rigging.apply_rig_from_labels(plan)
        rigging.remove_armatures(old)  # armatures already in INPUT are ignored, as in autorig
        arm.name = arm.data.name = plan.name  # free again now
        scene_io.restore_disabled()
        export.write_file(tmp, os.path.splitext(args.output)[1].lower(), args.preset,
                          objects=meshes + [arm])
        out.commit()
    print(f"Rigged {len(plan.weights.indices)} vertices of {len(meshes)} object(s) with "
          f"{plan.skeleton.n_bones} bones ('{arm.name}')")
    print(f"wrote {args.output}")
    for w in plan.warnings:
        print(f"warning: {w}")
    return 0
