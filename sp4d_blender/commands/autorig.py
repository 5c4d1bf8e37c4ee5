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


def _terminal_progress(fraction: float, text: str) -> None:
    bar = "#" * int(30 * fraction)
    sys.stderr.write(f"\r[{bar:<30}] {100 * fraction:5.1f}% {text[:40]:<40}")
    sys.stderr.flush()
    if fraction >= 1.0:
        sys.stderr.write("\n")


def run(args) -> int:
    from engine.autorig import AutoRigOptions

    from .. import autorig, export, rigging, scene_io
    from ..paths import bundled_model_dir

    export.check_output(args.output)
    objects = scene_io.load_file(args.input)
    meshes = rigging.input_meshes(objects)
    if not meshes:
        from engine.errors import InputError

        raise InputError(f"{os.path.basename(args.input)} has no mesh objects to rig")
    options = AutoRigOptions(segmenter=args.segmenter, model=args.model or bundled_model_dir(),
                             device=args.device, steps=args.steps, seed=args.seed,
                             max_influences=args.max_influences)
    # armatures already in INPUT are ignored: the meshes are rigged from their rest shape
    job = autorig.prepare_autorig(meshes, options, existing="REPLACE")
    progress = _terminal_progress if sys.stderr.isatty() else None
    result = autorig.compute(job, progress)
    arm = autorig.apply_autorig(job, result, existing="REPLACE")
    if args.preview:
        from .. import preview

        preview.render_test_pose_preview(args.preview, meshes, arm)
    export.export_file(args.output, args.preset)
    report = result.report()
    report.update(input=args.input, output=args.output, armature=arm.name)
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f, indent=2)
    t = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    print(f"rigged {len(meshes)} object(s): {report['bones']} bones, {report['parts']} parts ({t}) -> {args.output}")
    for w in result.warnings:
        print(f"warning: {w}")
    return 0
