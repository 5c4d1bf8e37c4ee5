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
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")


def _terminal_progress(fraction: float, text: str) -> None:
    bar = "#" * int(30 * fraction)
    sys.stderr.write(f"\r[{bar:<30}] {100 * fraction:5.1f}% {text[:40]:<40}")
    sys.stderr.flush()
    if fraction >= 1.0:
        sys.stderr.write("\n")


class Progress:
    """Progress on stderr: a bar on a terminal, else one line per stage with the time
    since the start (logs, pipes, CI); nothing with ``quiet``. ``step(text)`` announces
    the command's own steps (reading, writing...); the instance is the engine's callback."""

    def __init__(self, quiet: bool = False, tty: bool | None = None):
        import time

        self.quiet = quiet
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.t0 = self.last_time = time.perf_counter()
        self.last = None
        self.bar_open = False

    def _line(self, text: str) -> None:
        import time

        if self.bar_open:
            sys.stderr.write("\n")
            self.bar_open = False
        sys.stderr.write(f"sp4d: {text} ({time.perf_counter() - self.t0:.1f}s)\n")
        sys.stderr.flush()

    def step(self, text: str) -> None:
        if not self.quiet:
            self._line(text)

    def __call__(self, fraction: float, text: str = "") -> None:
        import time

        if self.quiet:
            return
        if self.tty:
            _terminal_progress(fraction, text)
            self.bar_open = fraction < 1.0
            return
        stage = (text or "").split(" ")[0]
        now = time.perf_counter()
        if text != self.last and (stage != (self.last or "").split(" ")[0] or now - self.last_time >= 5):
            self._line(f"{100 * fraction:3.0f}% {text}")
            self.last, self.last_time = text, now


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
        progress = Progress(args.quiet)
        progress.step(f"reading {os.path.basename(args.input)}")
        objects = scene_io.load_file(args.input)
        objects, left_out, notes = rigging.meshes_from_geometry(objects)
        meshes = rigging.command_meshes(objects, os.path.basename(args.input))
        options = AutoRigOptions(segmenter=args.segmenter, model=args.model or bundled_model_dir(),
                                 device=args.device, steps=args.steps, seed=args.seed,
                                 max_influences=args.max_influences)
        # armatures already in INPUT are ignored: the meshes are rigged from their rest shape
        job = autorig.prepare_autorig(meshes, options, existing="REPLACE")
        progress.step(f"rigging {len(meshes)} object(s), {job.mesh.n_vertices} vertices")
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

            progress.step("rendering the preview")
            preview.render_test_pose_preview(preview_tmp, meshes, arm)
        progress.step(f"writing {os.path.basename(args.output)}")
        export.write_file(out_tmp, ext, args.preset, part_colors=args.part_colors,
                          objects=[o for o in export.default_objects() if o not in left_out])
        result.warnings[:0] = notes
        report = result.report()
        report.update(input=args.input, output=args.output, armature=arm.name)
        if report_tmp:
            with open(report_tmp, "w") as f:
                json.dump(report, f, indent=2)
        out.commit()
    t = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    print(f"rigged {len(meshes)} object(s) with {result.made_with()}: {report['bones']} bones, "
          f"{report['parts']} parts ({t}) -> {args.output}")
    for w in result.warnings:
        print(f"warning: {w}")
    return 0
