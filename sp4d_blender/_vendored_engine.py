"""Make ``engine`` mean the engine vendored inside the installed extension.

In a source checkout ``engine`` is the top-level package beside this one. In the
extension zip (build.py) it lives inside the add-on (``<add-on>/engine``), not in the
site-packages all Blender extensions share, so no other add-on's files can replace it;
its modules import each other relatively. The add-on's modules say ``from engine.x
import ...``: this finder answers every ``engine`` / ``engine.*`` import with the very
module object of ``<add-on>.engine.*`` (one copy of each class, so ``except InputError``
catches what the engine raises).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import sys

NAME = "engine"


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, package: str):
        self.package = package
        self._specs = {}

    def find_spec(self, fullname, path=None, target=None):
        if fullname == NAME or fullname.startswith(NAME + "."):
            real = importlib.import_module(self.package + fullname[len(NAME):])
            return importlib.util.spec_from_loader(fullname, self, is_package=hasattr(real, "__path__"))
        return None

    def create_module(self, spec):
        real = importlib.import_module(self.package + spec.name[len(NAME):])
        self._specs[spec.name] = real.__spec__
        return real

    def exec_module(self, module):
        # the import system set the alias spec on the real module: give it its own back
        module.__spec__ = self._specs.pop(self._alias_of(module), module.__spec__)

    def _alias_of(self, module) -> str:
        return NAME + module.__name__[len(self.package):]


def install(addon_package: str, addon_dir: str) -> bool:
    """Alias ``engine`` to ``<addon_package>.engine`` when the add-on holds a vendored copy
    (an installed extension); True when it did."""
    if not os.path.isfile(os.path.join(addon_dir, NAME, "__init__.py")):
        return False
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.insert(0, _Alias(addon_package + "." + NAME))
    return True
