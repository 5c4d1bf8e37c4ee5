"""Operators: Auto-Rig, Rebind, Test Pose, Export."""

from . import autorig, export, rebind, test_pose

_modules = [autorig, rebind, test_pose, export]


def register():
    for m in _modules:
        m.register()


def unregister():
    for m in reversed(_modules):
        m.unregister()
