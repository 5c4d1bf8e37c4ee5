"""Errors the engine raises for bad input.

Every message is one line that names the problem, so the add-on and the `sp4d`
command can show it to the artist as is.
"""


class SP4DError(Exception):
    """Base class: a failure the user can act on (bad input, missing weights...)."""


class InputError(SP4DError):
    """The input data (mesh, skeleton, labels, footage) is unusable as given."""


class ModelError(SP4DError):
    """Model weights are missing, unreadable or incompatible."""


class Cancelled(SP4DError):
    """The user cancelled a long-running job; nothing was changed."""
