"""Operators: Auto-Rig, Auto-Rig from Footage, Show Parts, Rebind, Test Pose, Export."""

from . import autorig, export, footage, rebind, show_parts, test_pose

_modules = [autorig, footage, show_parts, rebind, test_pose, export]


def register():
    for m in _modules:
        m.register()


def unregister():
    for m in reversed(_modules):
        m.unregister()
