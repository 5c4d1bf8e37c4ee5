"""Headless subcommands of the ``sp4d`` command (see ``sp4d_blender.cli``)."""
