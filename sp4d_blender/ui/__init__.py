"""Sidebar panel and add-on preferences."""

_modules = []


def register():
    for m in _modules:
        m.register()


def unregister():
    for m in reversed(_modules):
        m.unregister()
