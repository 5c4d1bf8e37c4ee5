"""The files one command writes, all or nothing.

Every output (OUTPUT, ``--report``, ``--preview``...) is checked before any work starts
and written to a temporary file in its destination folder; ``commit`` renames them all
into place once everything succeeded. On failure nothing is left behind and files that
existed keep their old contents. The input files are never written: an output that is an
input (same path, a symlink to it, a relative path, a hard link) is refused unless
``overwrite``.

    with OutputFiles(inputs=[args.input], overwrite=args.overwrite) as out:
        tmp = out.add(args.output, "OUTPUT", (".glb", ".fbx", ".blend"))
        ...                     # write to tmp
        out.commit()
"""

from __future__ import annotations

import os
import tempfile

from engine.errors import InputError


def same_file(a: str, b: str) -> bool:
    """Whether paths ``a`` and ``b`` name one file (symlinks, relative paths, hard links)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist (yet)
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


class OutputFiles:
    """Planned outputs: validated up front, written to temporary files, renamed on commit."""

    def __init__(self, inputs=(), overwrite: bool = False):
        self.inputs = [p for p in inputs if p]
        self.overwrite = overwrite
        self._planned: list[tuple[str, str, str]] = []  # (final, label, temporary path)
        self.committed = False

    def add(self, path: str | None, label: str = "OUTPUT", exts=None, tmp_ext: str | None = None):
        """Check that ``path`` can be written; returns the temporary path to write instead
        (None for a None ``path``). ``label`` names the option in messages; ``exts`` the
        allowed extensions; ``tmp_ext`` the temporary file's extension (default: path's)."""
        if not path:
            return None
        if os.path.isdir(path):
            raise InputError(f"{label} {path} is a folder: give a file name inside it")
        ext = os.path.splitext(path)[1].lower()
        if exts is not None and ext not in exts:
            what = "output" if label == "OUTPUT" else label
            raise InputError(f"unsupported {what} format '{ext or os.path.basename(path)}': "
                             f"use one of {', '.join(exts)}")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise InputError(f"{label} folder does not exist: {folder} (create it first)")
        for inp in self.inputs:
            if same_file(path, inp) and not self.overwrite:
                raise InputError(f"{label} {path} is the input file: choose another name, "
                                 "or add --overwrite to replace it")
        for final, other, _ in self._planned:
            if same_file(path, final):
                raise InputError(f"{label} and {other} are the same file: {path}")
        # the temporary file sits in the destination folder itself: a .blend remaps its
        # relative paths (textures...) to where it is saved, and the rename stays on one disk
        try:
            fd, tmp = tempfile.mkstemp(prefix=".sp4d-", suffix=tmp_ext if tmp_ext is not None else ext,
                                       dir=folder)
        except OSError as exc:
            raise InputError(f"cannot write {label} into {folder}: "
                             f"{exc.strerror or exc}") from None
        os.close(fd)
        os.remove(tmp)  # only the name is kept: Blender would back up an existing file
        self._planned.append((path, label, tmp))
        return tmp

    def commit(self) -> None:
        """Move every written temporary file into place; raises InputError (and writes
        nothing) if one was not written."""
        for final, label, tmp in self._planned:
            if not os.path.isfile(tmp) or os.path.getsize(tmp) == 0:
                raise InputError(f"nothing was written for {label} {os.path.basename(final)}")
        for final, label, tmp in self._planned:
            try:
                os.replace(tmp, final)
            except OSError as exc:
                raise InputError(f"cannot write {label} {final}: {exc.strerror or exc}") from None
        self.committed = True
        self.discard()

    def discard(self) -> None:
        """Remove the temporary files (the final paths are untouched)."""
        for _, _, tmp in self._planned:
            for leftover in (tmp, tmp + "1", tmp + "@"):  # Blender's backup / partial save
                if os.path.lexists(leftover):
                    try:
                        os.remove(leftover)
                    except OSError:
                        pass
        self._planned = []

    def __enter__(self) -> "OutputFiles":
        return self

    def __exit__(self, *exc) -> None:
        self.discard()
