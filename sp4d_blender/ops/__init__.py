"""Operators: Auto-Rig, Auto-Rig from Footage, Rebind, Test Pose, Export."""

from . import autorig, export, footage, rebind, test_pose

_modules = [autorig, footage, rebind, test_pose, export]


def register():
    for m in _modules:
        m.register()


def unregister():
    for m in reversed(_modules):
        m.unregister()
