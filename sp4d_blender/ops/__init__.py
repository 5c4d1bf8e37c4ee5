"""Operators: Rebind, Auto-Rig, Show Parts, Test Pose, Export."""

from . import rebind

_modules = [rebind]


def register():
    for m in _modules:
        m.register()


def unregister():
    for m in reversed(_modules):
        m.unregister()
