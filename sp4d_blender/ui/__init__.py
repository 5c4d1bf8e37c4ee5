"""Sidebar panel and add-on preferences."""

from . import panel, preferences

_modules = [preferences, panel]


def register():
    for m in _modules:
        m.register()


def unregister():
    for m in reversed(_modules):
        m.unregister()
