"""Which interface is talking to the user, so messages say what to do in its words.

The add-on's panel and operators speak of selecting objects and choosing options; the
``sp4d`` command of files and flags. ``sp4d_blender.cli.main`` switches to the command.
"""

from __future__ import annotations

_CLI = False


def set_cli(on: bool = True) -> None:
    global _CLI
    _CLI = bool(on)


def is_cli() -> bool:
    return _CLI


def advice(panel: str, cli: str) -> str:
    """The panel's or the command's wording of what to do."""
    return cli if _CLI else panel
