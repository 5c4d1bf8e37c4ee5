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
    parser.add_argument("--heat-only", action="store_true",
                        help="plain bone heat, without the learned correction toward artists' weights")
    parser.add_argument("--no-rigid-pieces", action="store_true",
                        help="let a separate piece with one bone inside blend like the rest "
                             "(default: it follows that bone rigidly; Rebind's Rigid Pieces box)")
    parser.add_argument("--overwrite", action="store_true",
                        help="allow OUTPUT to be the INPUT file (replaced only on success)")


def run(args) -> int:
    from ..engine.errors import InputError
    from ..engine.skin import BUNDLED_REFINER, SkinOptions

    from .. import bridge, export, rigging, scene_io
    from ..outputs import OutputFiles

    with OutputFiles(inputs=[args.input], overwrite=args.overwrite) as out:
        tmp = out.add(args.output, "OUTPUT", export.EXPORT_EXTS)
        objects = scene_io.load_file(args.input)
        _, arms = bridge.scene_meshes_and_armatures(objects)
        name = os.path.basename(args.input)
        if len(arms) != 1:
            raise InputError(f"{name} has {len(arms)} armatures; expected exactly one")
        meshes = rigging.command_meshes(objects, name, "skin")
        report = rigging.rebind(meshes, arms[0], SkinOptions(max_influences=args.max_influences,
                                                                refiner="" if args.heat_only else BUNDLED_REFINER,
                                                                piece_bone=not args.no_rigid_pieces))
        scene_io.restore_disabled()
        export.write_file(tmp, os.path.splitext(args.output)[1].lower(), args.preset,
                          objects=meshes + [arms[0]])
        out.commit()
    print(f"{report.message()} -> {args.output}")
    for w in report.warnings:
        print(f"warning: {w}")
    return 0
