"""``sp4d footage VIDEO -o OUTPUT``: reconstruct and rig the object seen in a video."""

from __future__ import annotations

import json
import os
import sys


def add_arguments(parser) -> None:
    parser.add_argument("video", metavar="VIDEO", help="movie file (.mp4, .mov, ...) or a folder of frames")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT", help=".glb/.fbx/.blend")
    parser.add_argument("--report", metavar="R.json", help="write stage timings, counts, pivots, warnings")
    parser.add_argument("--preview", metavar="P.png", help="render the rig in a test pose")
    parser.add_argument("--views-dir", metavar="DIR", help="also write the input crops and generated views (PNG)")
    parser.add_argument("--frames", type=int, default=4, help="frames spread over the clip (default 4)")
    parser.add_argument("--indices", default=None, help="comma-separated frame numbers to use instead")
    parser.add_argument("--mask", default=None, help="mask image of the object (white = object)")
    parser.add_argument("--crop", default=None, help="x,y,w,h box around the object, in pixels")
    parser.add_argument("--azimuth", type=float, default=0.0, help="camera azimuth from the object's front (deg)")
    parser.add_argument("--elevation", type=float, default=15.0, help="camera elevation (deg)")
    parser.add_argument("--size", type=float, default=1.0, help="longest side of the result (scene units)")
    parser.add_argument("--resolution", type=int, default=64, help="visual-hull voxels per axis")
    parser.add_argument("--faces", type=int, default=6000, help="target triangle count")
    parser.add_argument("--no-motion", action="store_true", help="joints at part interfaces only")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=None, help="diffusion sampling steps")
    parser.add_argument("--model", default=None, help="local folder or hub id of SP4D weights")
    parser.add_argument("--preset", choices=("unity", "unreal"), default="unity", help="FBX preset")
    parser.add_argument("--max-influences", type=int, default=4, metavar="K")
    parser.add_argument("--overwrite", action="store_true",
                        help="allow OUTPUT to be the VIDEO file (replaced only on success)")


def _ints(text: str | None, what: str, n: int | None = None):
    if text is None:
        return None
    from ..engine.errors import InputError

    try:
        vals = [int(float(x)) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--{what} must be comma-separated numbers, got '{text}'") from None
    if n is not None and len(vals) != n:
        raise InputError(f"--{what} needs {n} numbers, got {len(vals)}")
    return vals


def write_views(result, folder: str) -> list[str]:
    """Input crops and generated RGB / part views as PNG contact sheets (rows = frames)."""
    import cv2
    import numpy as np

    os.makedirs(folder, exist_ok=True)
    g = result.generated
    sheets = {"input": result.footage.rgba[..., :3][:, None], "views_rgb": g.rgb, "views_part": g.part}
    paths = []
    for name, imgs in sheets.items():
        rows = [np.concatenate(list(r), 1) for r in imgs]
        img = (np.concatenate(rows, 0) * 255 + 0.5).clip(0, 255).astype(np.uint8)
        p = os.path.join(folder, f"{name}.png")
        if not cv2.imwrite(p, img[..., ::-1]):
            raise OSError(f"could not write {p}")
        paths.append(p)
    with open(os.path.join(folder, "cameras.json"), "w") as f:
        json.dump(result.cameras.to_dict(), f, indent=2)
    return paths


def run(args) -> int:
    from ..engine.footage import FootageOptions, rig_footage

    from .. import export, scene_io
    from ..ops.footage import apply_footage
    from ..outputs import OutputFiles
    from ..paths import bundled_model_dir
    from .autorig import _terminal_progress

    with OutputFiles(inputs=[args.video, args.mask], overwrite=args.overwrite) as out:
        out_tmp = out.add(args.output, "OUTPUT", export.EXPORT_EXTS)
        report_tmp = out.add(args.report, "--report", tmp_ext=".json")
        preview_tmp = out.add(args.preview, "--preview", (".png",))
        views_tmp = out.add_dir(args.views_dir, "--views-dir")  # a folder beside DIR, moved in on success
        indices = _ints(args.indices, "indices")
        options = FootageOptions(frames=len(indices) if indices else args.frames, indices=indices, mask=args.mask,
                                 crop=_ints(args.crop, "crop", 4), model=args.model or bundled_model_dir(),
                                 device=args.device, steps=args.steps, seed=args.seed, azimuth_deg=args.azimuth,
                                 elevation_deg=args.elevation, resolution=args.resolution, target_faces=args.faces,
                                 size=args.size, max_influences=args.max_influences, use_motion=not args.no_motion)
        progress = _terminal_progress if sys.stderr.isatty() else None
        result = rig_footage(args.video, options, progress)
        scene_io.reset_scene()
        name = os.path.splitext(os.path.basename(os.path.normpath(args.video)))[0] or "Footage"
        obj, arm = apply_footage(result, name)
        if preview_tmp:
            from .. import preview

            preview.render_test_pose_preview(preview_tmp, [obj], arm)
        export.write_file(out_tmp, os.path.splitext(args.output)[1].lower(), args.preset)
        report = result.report()
        report.update(input=args.video, output=args.output, armature=arm.name, mesh=obj.name)
        if report_tmp:
            with open(report_tmp, "w") as f:
                json.dump(report, f, indent=2)
        if views_tmp:
            try:
                write_views(result, views_tmp)
            except OSError as exc:
                from ..outputs import InputError

                raise InputError(f"cannot write --views-dir {args.views_dir}: {exc}") from None
        out.commit()
    t = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    print(f"footage rigged: {len(result.mesh.faces)} triangles, {report['bones']} bones, {report['parts']} parts, "
          f"{result.motion.n_moved} joints from motion ({t}) -> {args.output}")
    for w in result.warnings:
        print(f"warning: {w}")
    return 0
