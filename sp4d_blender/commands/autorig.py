"""``sp4d autorig INPUT -o OUTPUT``: rig every mesh in INPUT with one new armature.

``sp4d autorig INPUT... --out-dir DIR`` rigs a library (several files, folders, globs)
through ``sp4d_blender.batch``: every file goes through ``rig_file``, the single-file path."""

from __future__ import annotations

import json
import os
import sys

# the options that shape a rig (what ``rig_file`` takes besides paths), shared with batch workers
RIG_SETTINGS = ("device", "seed", "steps", "model", "segmenter", "preset", "max_influences",
                "humanoid", "bone_names", "spine_bones", "neck_bones", "tail_bones", "symmetry",
                "front", "overwrite", "part_colors")


def add_arguments(parser) -> None:
    parser.add_argument("input", metavar="INPUT", nargs="+",
                        help=".glb/.gltf/.fbx/.obj/.blend; with --out-dir: several files, folders, globs")
    parser.add_argument("-o", "--output", metavar="OUTPUT", help=".glb/.fbx/.blend (one INPUT)")
    parser.add_argument("--report", metavar="R.json", help="write stage timings, counts, warnings")
    parser.add_argument("--preview", metavar="P.png", help="render the rig in a test pose")
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None,
                        help="default cpu (with --ray: cuda on a cluster with GPUs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=None, help="diffusion sampling steps")
    parser.add_argument("--model", default=None, help="local folder or hub id of SP4D weights")
    parser.add_argument("--segmenter", choices=("sp4d", "geometric"), default="sp4d")
    parser.add_argument("--preset", choices=("unity", "unreal"), default="unity",
                        help="FBX preset when OUTPUT is .fbx")
    parser.add_argument("--max-influences", type=int, default=4, metavar="K")
    parser.add_argument("--humanoid", action="store_true",
                        help="rebuild a biped's rig as the standard humanoid skeleton (Unity/Unreal "
                             "retargeting; docs/RETARGETING.md)")
    parser.add_argument("--bone-names", choices=("blender", "mixamo"), default="blender",
                        help="bone naming of humanoid rigs (mixamo: mixamorig:LeftUpLeg ...)")
    parser.add_argument("--spine-bones", type=int, default=0, metavar="N",
                        help="bones along the spine (0-8; 0 = as the parts give them, 3 for a humanoid rig)")
    parser.add_argument("--neck-bones", type=int, default=0, metavar="N",
                        help="bones along the neck (0-8; 0 = as the parts give them)")
    parser.add_argument("--tail-bones", type=int, default=0, metavar="N",
                        help="bones along the tail (0-8; 0 = as the parts give them)")
    parser.add_argument("--no-symmetry", dest="symmetry", action="store_false", default=None,
                        help="keep paired joints and weights where the parts put them instead of exact mirrors")
    # engine.autorig.FRONTS spelled out: importing the engine here would cost every command ~0.5 s
    parser.add_argument("--front", choices=("auto", "-Y", "+Y", "-X", "+X"), default=None,
                        help="which way the object faces (default auto: estimated from the mesh, else -Y, "
                             "the glTF convention); names, rolls and the humanoid root follow it. A value "
                             "starting with '-' needs the '=': --front=-Y")
    parser.add_argument("--overwrite", action="store_true",
                        help="allow OUTPUT to be the INPUT file (replaced only on success)")
    parser.add_argument("--part-colors", action="store_true",
                        help="keep the part colours as a vertex-colour attribute in GLB/FBX")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    lib = parser.add_argument_group("rig a library (several inputs, a folder or a glob)")
    lib.add_argument("--out-dir", metavar="DIR", help="write DIR/<name>.<format>, <name>.json, "
                     "<name>.png per input, summary.csv and index.html")
    lib.add_argument("--format", choices=("glb", "fbx", "blend"), default="glb", help="output format (default glb)")
    lib.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                     help="worker processes, each keeps Blender and the model loaded (default 1; "
                          "with --ray: one actor per GPU, else per CPU of the cluster)")
    lib.add_argument("--resume", action="store_true", help="skip inputs whose output and report exist")
    lib.add_argument("--no-preview", action="store_true", help="no preview images (contact sheet without pictures)")
    lib.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                     help="run the workers as Ray actors: 'local' starts Ray on this machine, "
                          "ray://host:10001 joins a cluster; no ADDRESS: RAY_ADDRESS, else local")


def batch_mode(args) -> bool:
    """Whether the command line asks for a library run rather than INPUT -o OUTPUT."""
    import glob

    return (args.out_dir is not None or len(args.input) > 1 or args.ray is not None
            or os.path.isdir(args.input[0])
            or (not os.path.exists(args.input[0]) and glob.has_magic(args.input[0])))


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


def rig_file(input_path: str, output: str, report_path: str | None = None,
             preview_path: str | None = None, progress=None, **settings):
    """Rig every mesh of ``input_path`` into ``output`` (+ report JSON, preview PNG), all
    outputs atomically. ``settings``: RIG_SETTINGS. The one path behind ``sp4d autorig``
    and every file of a batch. Returns (report dict, AutoRigResult); raises SP4DError."""
    from ..engine.autorig import AutoRigOptions
    from ..engine.errors import InputError

    from .. import export, rigging, scene_io, scene_rig
    from ..outputs import OutputFiles
    from ..paths import bundled_model_dir

    s = dict(device="cpu", seed=0, steps=None, model=None, segmenter="sp4d", preset="unity",
             max_influences=4, humanoid=False, bone_names="blender", spine_bones=0, neck_bones=0,
             tail_bones=0, symmetry=True, front="auto", overwrite=False, part_colors=False)
    unknown = set(settings) - set(s)
    if unknown:
        raise TypeError(f"unknown settings {sorted(unknown)}")
    s.update({k: v for k, v in settings.items() if v is not None or k in ("steps", "model")})
    progress = progress or Progress(quiet=True)
    if s["max_influences"] < 1:
        raise InputError("--max-influences must be at least 1")
    for chain in ("spine", "neck", "tail"):
        if not 0 <= s[f"{chain}_bones"] <= 8:
            raise InputError(f"--{chain}-bones must be between 0 and 8")
    with OutputFiles(inputs=[input_path], overwrite=s["overwrite"]) as out:
        out_tmp = out.add(output, "OUTPUT", export.EXPORT_EXTS)
        ext = os.path.splitext(output)[1].lower()
        report_tmp = out.add(report_path, "--report", tmp_ext=".json")
        preview_tmp = out.add(preview_path, "--preview", (".png",))
        progress.step(f"reading {os.path.basename(input_path)}")
        load_notes: list[str] = []
        objects = scene_io.load_file(input_path, notes=load_notes)
        objects, left_out, notes = rigging.meshes_from_geometry(objects)
        notes[:0] = load_notes
        meshes = rigging.command_meshes(objects, os.path.basename(input_path))
        options = AutoRigOptions(segmenter=s["segmenter"], model=s["model"] or bundled_model_dir(),
                                 device=s["device"], steps=s["steps"], seed=s["seed"],
                                 max_influences=s["max_influences"], humanoid=s["humanoid"],
                                 bone_naming=s["bone_names"], spine_bones=s["spine_bones"],
                                 neck_bones=s["neck_bones"], tail_bones=s["tail_bones"], symmetry=s["symmetry"],
                                 front=s["front"])
        # armatures already in INPUT are ignored: the meshes are rigged from their rest shape
        job = scene_rig.prepare_autorig(meshes, options, existing="REPLACE")
        progress.step(f"rigging {len(meshes)} object(s), {job.mesh.n_vertices} vertices")
        result = scene_rig.compute_autorig(job, progress)
        unused = [o.name for o in objects if o.type == "ARMATURE" and o not in job.existing_armatures]
        arm = scene_rig.apply_autorig(job, result, existing="REPLACE")
        if unused:  # armatures in INPUT are ignored: one armature in OUTPUT
            import bpy

            rigging.remove_armatures([bpy.data.objects[n] for n in unused])
            result.warnings.append(f"removed armature(s) {', '.join(unused)} of the input, "
                                   "which deformed none of its meshes")
        if preview_tmp:
            from .. import preview

            progress.step("rendering the preview")
            preview.render_test_pose_preview(preview_tmp, meshes, arm)
        progress.step(f"writing {os.path.basename(output)}")
        scene_io.restore_disabled()
        export.write_file(out_tmp, ext, s["preset"], part_colors=s["part_colors"],
                          objects=[o for o in export.default_objects() if o not in left_out])
        result.warnings[:0] = notes
        report = result.report()
        report.update(input=input_path, output=output, armature=arm.name, objects=len(meshes))
        if report_tmp:
            with open(report_tmp, "w") as f:
                json.dump(report, f, indent=2)
        out.commit()
    return report, result


def run(args) -> int:
    from ..engine.errors import InputError

    if batch_mode(args):
        if args.output or args.report or args.preview:
            raise InputError("-o, --report and --preview name one file: with several inputs, a "
                             "folder, a glob or --ray use --out-dir DIR (outputs, reports and "
                             "previews are written there)")
        from ..batch import run_batch

        return run_batch(args)
    if not args.output:
        raise InputError("give -o OUTPUT (one input), or --out-dir DIR to rig a library")
    settings = {k: getattr(args, k) for k in RIG_SETTINGS}
    report, result = rig_file(args.input[0], args.output, args.report, args.preview,
                              progress=Progress(args.quiet), **settings)
    t = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    print(f"rigged {report['objects']} object(s) with {result.made_with()}: {report['bones']} bones, "
          f"{report['parts']} parts ({t}) -> {args.output}")
    for w in result.warnings:
        print(f"warning: {w}")
    return 0
