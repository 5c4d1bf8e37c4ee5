"""Sidebar panel and add-on preferences."""

from . import panel

_modules = [panel]


def register():
    for m in _modules:
        m.register()


def unregister():
    for m in reversed(_modules):
        m.unregister()
