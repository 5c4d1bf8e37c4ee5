"""``sp4d parts INPUT --out-dir DIR``: the SP4D model's generated multi-view RGB and part
frames (PNG), the cameras (JSON) and the per-vertex part labels."""

from __future__ import annotations

import os


def add_arguments(parser) -> None:
    parser.add_argument("input", metavar="INPUT", help=".glb/.gltf/.fbx/.obj/.blend")
    parser.add_argument("--out-dir", required=True, metavar="DIR")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=None, help="diffusion sampling steps")
    parser.add_argument("--model", default=None, help="local folder or hub id of SP4D weights")


def run(args) -> int:
    from ..engine.autorig import AutoRigOptions, segment_parts
    from ..engine.errors import InputError
    from ..engine.parts.io import write_parts

    from .. import rigging, scene_io
    from ..paths import bundled_model_dir

    from ..outputs import OutputFiles

    if os.path.exists(args.out_dir) and not os.path.isdir(args.out_dir):
        raise InputError(f"--out-dir {args.out_dir} exists and is not a folder")
    # written into a temporary folder beside DIR, moved in only when complete: a failure
    # leaves DIR as it was (other files in DIR are never touched)
    with OutputFiles(inputs=[args.input]) as out:
        tmp_dir = out.add_dir(args.out_dir, "--out-dir")
        objects = scene_io.load_file(args.input)
        meshes = rigging.command_meshes(objects, os.path.basename(args.input), "segment")
        mesh = rigging.read_mesh(meshes)
        options = AutoRigOptions(model=args.model or bundled_model_dir(), device=args.device,
                                 steps=args.steps, seed=args.seed)
        labels, result = segment_parts(mesh, options)
        try:
            written = write_parts(result, tmp_dir, mesh.object_names, mesh.object_ids)
        except OSError as exc:
            raise InputError(f"cannot write --out-dir {args.out_dir}: {exc.strerror or exc}") from None
        out.commit()
    paths = [os.path.join(args.out_dir, os.path.relpath(p, tmp_dir)) for p in written]
    print(f"{int(labels.max()) + 1} parts on {mesh.n_vertices} vertices, {len(result.images)} views "
          f"-> {len(paths)} files in {args.out_dir}")
    for w in getattr(result, "warnings", []) or []:
        print(f"warning: {w}")
    return 0
