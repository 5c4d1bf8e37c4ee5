"""Where the add-on finds the engine: always as its own sub-package ``<add-on>.engine``.

Every module of the add-on imports the engine relatively (``from .engine.errors import
InputError``, ``from ..engine.autorig import AutoRigOptions``); this module is the one
place that decides what ``<add-on>.engine`` is:

* **Extension zip** (build.py): the engine is vendored at ``<add-on>/engine``, a plain
  sub-package (``bl_ext.<repository>.sp4d_autorig.engine``; the engine's modules import
  each other relatively). Nothing here runs and no module named ``engine`` is created:
  Blender's extensions share one module namespace, and a top-level ``engine`` could be
  another add-on's.
* **Source checkout or pip install**: ``engine`` is the top-level package beside the
  add-on (tests, scripts and the ``sp4d`` command import it as ``engine``). ``link``
  adds an import finder that answers ``sp4d_blender.engine`` and ``sp4d_blender.engine.*``
  with the very module objects ``engine`` / ``engine.*``: one copy of each module, so an
  ``engine.autorig.AutoRigOptions`` a test builds is the add-on's class, and ``except
  InputError`` catches what the engine raises. The finder only answers names under the
  add-on's own package, never ``engine`` itself.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import sys

ENGINE = "engine"  # the engine's top-level name in a source checkout


def vendored(addon_dir: str) -> bool:
    """The add-on holds its own copy of the engine (an installed extension)."""
    return os.path.isfile(os.path.join(addon_dir, ENGINE, "__init__.py"))


class _TopLevelEngine(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``<add-on>.engine[.x]`` -> the module object of top-level ``engine[.x]``."""

    def __init__(self, alias: str):
        self.alias = alias  # '<add-on>.engine'
        self._specs = {}

    def _real_name(self, fullname: str) -> str:
        return ENGINE + fullname[len(self.alias):]

    def find_spec(self, fullname, path=None, target=None):
        if fullname == self.alias or fullname.startswith(self.alias + "."):
            real = importlib.import_module(self._real_name(fullname))
            return importlib.util.spec_from_loader(fullname, self, is_package=hasattr(real, "__path__"))
        return None

    def create_module(self, spec):
        real = importlib.import_module(self._real_name(spec.name))
        self._specs[spec.name] = real.__spec__
        return real

    def exec_module(self, module):
        # the import system set the alias's spec on the real module: give it its own back
        module.__spec__ = self._specs.pop(self.alias + module.__name__[len(ENGINE):], module.__spec__)


def link(addon_package: str, addon_dir: str) -> bool:
    """Make ``<addon_package>.engine`` the top-level ``engine`` unless the add-on vendors
    its own copy; True when it linked (a source checkout or pip install)."""
    if vendored(addon_dir):
        return False
    alias = addon_package + "." + ENGINE
    if not any(isinstance(f, _TopLevelEngine) and f.alias == alias for f in sys.meta_path):
        # first: the path finder would find ``engine/x.py`` again through the linked
        # package's ``__path__`` and make a second module of it
        sys.meta_path.insert(0, _TopLevelEngine(alias))
    return True
