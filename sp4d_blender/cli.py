"""The ``sp4d`` command: the add-on's code paths, headless, through the ``bpy`` module.

Each subcommand lives in ``sp4d_blender/commands/<name>.py`` as ``add_arguments(parser)``
and ``run(args) -> int``; this file only dispatches. Exit status 0 on success; bad input
prints one line ``sp4d: error: ...`` and exits 2 with nothing written. No traceback
reaches the user: an unexpected failure is one line too (exit 1); ``SP4D_DEBUG=1`` prints
its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

# subcommand -> (module under sp4d_blender.commands, help text)
COMMANDS = {
    "autorig": ("autorig", "rig every mesh in INPUT with one new armature"),
    "skin": ("skin", "compute weights for the armature in INPUT and bind (Rebind)"),
    "rig-from-labels": ("rig_from_labels", "build skeleton + weights from per-vertex part labels"),
    "parts": ("parts", "write generated multi-view RGB/part frames, cameras and vertex labels"),
    "footage": ("footage", "reconstruct and rig an object seen in a video"),
    "synth": ("synth", "write procedural rigged training samples"),
}


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sp4d", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in COMMANDS.items():
        try:
            mod = importlib.import_module(f"sp4d_blender.commands.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"sp4d_blender.commands.{module}":
                raise
            continue  # not built yet
        p = sub.add_parser(name, help=help_text, description=help_text)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return ap


def _one_line(text: str) -> str:
    return " ".join(str(text).split()) or "unknown error"


def main(argv: list[str] | None = None) -> int:
    from .engine.errors import SP4DError

    from . import interface
    from .blender_io import DEBUG_ENV, debug

    args = build_parser().parse_args(argv)
    was_cli = interface.is_cli()
    interface.set_cli(True)
    try:
        return int(args._run(args) or 0)
    except SP4DError as exc:
        if debug():
            traceback.print_exc()
        print(f"sp4d: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sp4d: cancelled", file=sys.stderr)
        return 130
    except MemoryError:
        print("sp4d: error: out of memory (try a smaller mesh)", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug or an input we did not foresee: still one line
        if debug():
            traceback.print_exc()
        where = "" if debug() else f" (set {DEBUG_ENV}=1 for the traceback)"
        print(f"sp4d: error: unexpected {type(exc).__name__}: {_one_line(exc)[:300]}{where}",
              file=sys.stderr)
        return 1
    finally:
        interface.set_cli(was_cli)


if __name__ == "__main__":
    sys.exit(main())
