"""``sp4d autorig INPUT -o OUTPUT``: rig every mesh in INPUT with one new armature."""

from __future__ import annotations

import json
import os
import sys


def add_arguments(parser) -> None:
    parser.add_argument("input", metavar="INPUT", help=".glb/.gltf/.fbx/.obj/.blend")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT", help=".glb/.fbx/.blend")
    parser.add_argument("--report", metavar="R.json", help="write stage timings, counts, warnings")
    parser.add_argument("--preview", metavar="P.png", help="render the rig in a test pose")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=None, help="diffusion sampling steps")
    parser.add_argument("--model", default=None, help="local folder or hub id of SP4D weights")
    parser.add_argument("--segmenter", choices=("sp4d", "geometric"), default="sp4d")
    parser.add_argument("--preset", choices=("unity", "unreal"), default="unity",
                        help="FBX preset when OUTPUT is .fbx")
    parser.add_argument("--max-influences", type=int, default=4, metavar="K")
    parser.add_argument("--overwrite", action="store_true",
                        help="allow OUTPUT to be the INPUT file (replaced only on success)")
    parser.add_argument("--part-colors", action="store_true",
                        help="keep the part colours as a vertex-colour attribute in GLB/FBX")


def _terminal_progress(fraction: float, text: str) -> None:
    bar = "#" * int(30 * fraction)
    sys.stderr.write(f"\r[{bar:<30}] {100 * fraction:5.1f}% {text[:40]:<40}")
    sys.stderr.flush()
    if fraction >= 1.0:
        sys.stderr.write("\n")


def run(args) -> int:
    from engine.autorig import AutoRigOptions
    from engine.errors import InputError

    from .. import autorig, export, rigging, scene_io
    from ..outputs import OutputFiles
    from ..paths import bundled_model_dir

    if args.max_influences < 1:
        raise InputError("--max-influences must be at least 1")
    with OutputFiles(inputs=[args.input], overwrite=args.overwrite) as out:
        out_tmp = out.add(args.output, "OUTPUT", export.EXPORT_EXTS)
        ext = os.path.splitext(args.output)[1].lower()
        report_tmp = out.add(args.report, "--report", tmp_ext=".json")
        preview_tmp = out.add(args.preview, "--preview", (".png",))
        objects = scene_io.load_file(args.input)
        meshes = rigging.command_meshes(objects, os.path.basename(args.input))
        options = AutoRigOptions(segmenter=args.segmenter, model=args.model or bundled_model_dir(),
                                 device=args.device, steps=args.steps, seed=args.seed,
                                 max_influences=args.max_influences)
        # armatures already in INPUT are ignored: the meshes are rigged from their rest shape
        job = autorig.prepare_autorig(meshes, options, existing="REPLACE")
        progress = _terminal_progress if sys.stderr.isatty() else None
        result = autorig.compute(job, progress)
        unused = [o.name for o in objects if o.type == "ARMATURE" and o not in job.existing_armatures]
        arm = autorig.apply_autorig(job, result, existing="REPLACE")
        if unused:  # armatures in INPUT are ignored: one armature in OUTPUT
            import bpy

            rigging.remove_armatures([bpy.data.objects[n] for n in unused])
            result.warnings.append(f"removed armature(s) {', '.join(unused)} of the input, "
                                   "which deformed none of its meshes")
        if preview_tmp:
            from .. import preview

            preview.render_test_pose_preview(preview_tmp, meshes, arm)
        export.write_file(out_tmp, ext, args.preset, part_colors=args.part_colors)
        report = result.report()
        report.update(input=args.input, output=args.output, armature=arm.name)
        if report_tmp:
            with open(report_tmp, "w") as f:
                json.dump(report, f, indent=2)
        out.commit()
    t = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    print(f"rigged {len(meshes)} object(s): {report['bones']} bones, {report['parts']} parts ({t}) -> {args.output}")
    for w in result.warnings:
        print(f"warning: {w}")
    return 0
