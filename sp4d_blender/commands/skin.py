"""``sp4d skin INPUT -o OUTPUT``: compute weights for the armature in INPUT and bind
(the Rebind operator, headless)."""

from __future__ import annotations

import os


def add_arguments(parser) -> None:
    parser.add_argument("input", metavar="INPUT", help=".glb/.gltf/.fbx/.obj/.blend with meshes and one armature")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT", help=".glb/.fbx/.blend")
    parser.add_argument("--preset", choices=("unity", "unreal"), default="unity",
                        help="FBX preset when OUTPUT is .fbx (default: unity)")
    parser.add_argument("--max-influences", type=int, default=4, metavar="K",
                        help="bones per vertex (default: 4)")


def run(args) -> int:
    from engine.errors import InputError
    from engine.skin import SkinOptions

    from .. import bridge, export, rigging, scene_io

    export.check_output(args.output)
    objects = scene_io.load_file(args.input)
    meshes = rigging.input_meshes(objects)
    _, arms = bridge.scene_meshes_and_armatures(objects)
    name = os.path.basename(args.input)
    if len(arms) != 1:
        raise InputError(f"{name} has {len(arms)} armatures; expected exactly one")
    if not meshes:
        raise InputError(f"{name} has no mesh objects to skin")
    report = rigging.rebind(meshes, arms[0], SkinOptions(max_influences=args.max_influences))
    export.export_file(args.output, args.preset, objects=meshes + [arms[0]])
    print(f"{report.message()} -> {args.output}")
    for w in report.warnings:
        print(f"warning: {w}")
    return 0
