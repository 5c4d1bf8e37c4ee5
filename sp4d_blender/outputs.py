"""The files one command writes, all or nothing.

Every output (OUTPUT, ``--report``, ``--preview``...) is checked before any work starts
and written to a temporary file in its destination folder; ``commit`` renames them all
into place once everything succeeded. On failure nothing is left behind and files that
existed keep their old contents. The input files are never written: an output that is an
input (same path, a symlink to it, a relative path, a hard link) is refused unless
``overwrite``.

Output folders (``sp4d parts --out-dir``, ``sp4d footage --views-dir``) work the same way:
``add_dir`` returns a new temporary folder beside the destination; ``commit`` renames it
into place, or, when the folder exists, moves its files in (replacing files of the same
names, leaving every other file there as it was).

    with OutputFiles(inputs=[args.input], overwrite=args.overwrite) as out:
        tmp = out.add(args.output, "OUTPUT", (".glb", ".fbx", ".blend"))
        ...                     # write to tmp
        out.commit()
"""

from __future__ import annotations

import os
import tempfile

from .engine.errors import InputError


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
        self._dirs: list[tuple[str, str, str]] = []  # (final folder, label, temporary folder)
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

    def add_dir(self, path: str | None, label: str = "--out-dir"):
        """Check that folder ``path`` can be written; returns an empty temporary folder to
        write into instead (None for a None ``path``), made beside ``path`` (beside its
        nearest existing parent when ``path``'s parents do not exist yet)."""
        if not path:
            return None
        if os.path.exists(path) and not os.path.isdir(path):
            raise InputError(f"{label} {path} exists and is not a folder: give a folder")
        for inp in self.inputs:
            if same_file(path, inp):
                raise InputError(f"{label} {path} is the input folder: choose another folder")
        for final, other, _ in self._dirs:
            if same_file(path, final):
                raise InputError(f"{label} and {other} are the same folder: {path}")
        anchor = os.path.dirname(os.path.abspath(path))
        while not os.path.isdir(anchor) and os.path.dirname(anchor) != anchor:
            anchor = os.path.dirname(anchor)
        try:
            tmp = tempfile.mkdtemp(prefix=".sp4d-", dir=anchor)
        except OSError as exc:
            raise InputError(f"cannot write {label} into {anchor}: {exc.strerror or exc}") from None
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # as os.makedirs would make it, not mkdtemp's 0700
        self._dirs.append((path, label, tmp))
        return tmp

    def _dir_moves(self, final: str, label: str, tmp: str) -> list[tuple[str, str]]:
        """(written file, destination) for each file in ``tmp``; raises InputError when one
        cannot go into ``final`` (a folder there of that name, or an input file)."""
        moves = []
        for root, _, names in os.walk(tmp):
            for name in sorted(names):
                src = os.path.join(root, name)
                dst = os.path.join(final, os.path.relpath(src, tmp))
                if os.path.isdir(dst):
                    raise InputError(f"cannot write {label} {final}: {dst} is a folder "
                                     "(move it away or choose another folder)")
                if not self.overwrite and any(same_file(dst, inp) for inp in self.inputs):
                    raise InputError(f"{label} {final} would replace the input file {dst}: "
                                     "choose another folder")
                moves.append((src, dst))
        if not moves:
            raise InputError(f"nothing was written for {label} {final}")
        if os.path.exists(final) and not os.path.isdir(final):
            raise InputError(f"{label} {final} exists and is not a folder: give a folder")
        return moves

    def _commit_dir(self, final: str, label: str, tmp: str, moves) -> None:
        """Move the files of ``tmp`` into ``final``: one rename when ``final`` does not
        exist; otherwise file by file, putting back the files they replaced if one fails."""
        import shutil

        try:
            if not os.path.exists(final):
                os.makedirs(os.path.dirname(os.path.abspath(final)), exist_ok=True)
                os.rename(tmp, final)
                return
            backup = tempfile.mkdtemp(prefix=".sp4d-old-", dir=os.path.dirname(tmp))
        except OSError as exc:
            raise InputError(f"cannot write {label} {final}: {exc.strerror or exc}") from None
        done = []  # (destination, its old contents in backup or None)
        try:
            for i, (src, dst) in enumerate(moves):
                old = None
                if os.path.lexists(dst):
                    old = os.path.join(backup, str(i))
                    os.replace(dst, old)
                done.append((dst, old))
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                os.replace(src, dst)
        except OSError as exc:
            for dst, old in reversed(done):
                try:
                    if old is not None:
                        os.replace(old, dst)
                    elif os.path.lexists(dst):
                        os.remove(dst)
                except OSError:
                    pass
            raise InputError(f"cannot write {label} {final}: {exc.strerror or exc}") from None
        finally:
            shutil.rmtree(backup, ignore_errors=True)

    def commit(self) -> None:
        """Move every written temporary file and folder into place; raises InputError (and
        writes nothing) if one was not written or cannot go where it belongs."""
        for final, label, tmp in self._planned:
            if not os.path.isfile(tmp) or os.path.getsize(tmp) == 0:
                raise InputError(f"nothing was written for {label} {os.path.basename(final)}")
        dir_moves = [self._dir_moves(final, label, tmp) for final, label, tmp in self._dirs]
        for final, label, tmp in self._planned:
            try:
                os.replace(tmp, final)
            except OSError as exc:
                raise InputError(f"cannot write {label} {final}: {exc.strerror or exc}") from None
        for (final, label, tmp), moves in zip(self._dirs, dir_moves):
            self._commit_dir(final, label, tmp, moves)
        self.committed = True
        self.discard()

    def discard(self) -> None:
        """Remove the temporary files and folders (the final paths are untouched)."""
        import shutil

        for _, _, tmp in self._dirs:
            shutil.rmtree(tmp, ignore_errors=True)
        self._dirs = []
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
