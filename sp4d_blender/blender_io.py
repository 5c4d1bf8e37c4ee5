"""Calling Blender's importers, exporters and renderer quietly.

Blender's Python operators print a full traceback to the process's stderr when they fail
(before the caller sees the RuntimeError), and the RuntimeError text holds the traceback
too; its reports (``Error: ...``) go to stdout. ``captured_stderr`` keeps both away from
the user: stdout and stderr written during the call (file descriptors 1 and 2, so C code
too) are captured and shown again only if the call succeeded (or with ``SP4D_DEBUG=1``),
and a failure becomes one line (``error_line``). What is shown again leaves out the
chatter of a normal run (``CHATTER``): the glTF importer's INFO log, the FBX exporter's
progress and the tuple it prints, render/save notices naming temporary files, and the
EGL errors the GPU backend prints when it starts without a display.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

# Lines Blender and its bundled add-ons print on a normal run that tell a user nothing
# (each seen from ``sp4d``; several name the temporary files outputs are written to).
CHATTER = re.compile("|".join([
    r"^\s*$",
    r"^\d\d:\d\d:\d\d \| (INFO|DEBUG): ",               # glTF importer/exporter log
    r"^FBX export starting\.\.\. ",                        # FBX exporter
    r"^\(bpy\.data\.armatures\[.*\], '\w+'\)$",             # FBX exporter prints a tuple
    r"^export finished in [\d.]+ sec\.$",
    r"^FBX version: \d+$",                                  # FBX importer
    r"^OBJ import of .* took [\d.]+ ms$",                   # OBJ importer
    r"^\d\d:\d\d\.\d+\s+blend\s+\| Read blend: ",           # opening a .blend
    r"^(Info: )?Saved copy as ",                            # .blend save (a temporary name)
    r"^\d\d:\d\d\.\d+\s+render\s+\| Saved: ",              # render write_still
    r"^Info: Saved ",
    r"^INFO Draco mesh compression is available",          # glTF exporter start
    r"^EGL Error \(0x[0-9A-Fa-f]+\)",                      # GPU start without a display
]))

DEBUG_ENV = "SP4D_DEBUG"


def debug() -> bool:
    """Whether the user asked for tracebacks (``SP4D_DEBUG=1``)."""
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def error_line(exc: BaseException) -> str:
    """The one meaningful line of a Blender operator's error text: the last line that
    reads ``Error: ...`` / ``SomethingError: ...``, else the last non-empty line that is
    not a traceback frame."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if re.match(r"^[A-Za-z_.]*(Error|Exception|\.error)\b:?", ln)
              and "Traceback (most recent call last)" not in ln]
    pick = errors[-1] if errors else next(
        (ln for ln in reversed(lines) if not ln.startswith(("File ", "Location:", "Traceback", "^", "~"))),
        type(exc).__name__)
    pick = re.sub(r"^Error:\s*", "", pick)
    return pick[:300]


def without_chatter(text: str) -> str:
    """``text`` without the lines that match ``CHATTER`` (everything kept with SP4D_DEBUG=1)."""
    if debug():
        return text
    return "".join(ln for ln in text.splitlines(keepends=True) if not CHATTER.match(ln))


@contextlib.contextmanager
def _captured(fd: int, stream):
    """Send file descriptor ``fd`` (``stream``'s) to a temporary file for the block;
    yields a list that holds the captured text once the block has ended."""
    stream.flush()
    saved = os.dup(fd)
    outcome = []
    with tempfile.TemporaryFile(mode="w+b") as buf:
        os.dup2(buf.fileno(), fd)
        try:
            yield outcome
        finally:
            stream.flush()
            os.dup2(saved, fd)
            os.close(saved)
            buf.seek(0)
            outcome.append(buf.read().decode("utf-8", "replace"))


@contextlib.contextmanager
def captured_stderr():
    """Capture file descriptors 1 and 2 (C and Python writes alike) for the block. On
    success the text is written out again without ``CHATTER``; on an exception it is
    dropped (kept, all of it, with SP4D_DEBUG=1)."""
    try:
        os.fstat(1), os.fstat(2)
    except OSError:  # no real stdout/stderr (embedded): nothing to capture
        yield
        return
    ok = False
    out, err = [], []
    try:
        with _captured(1, sys.stdout) as out, _captured(2, sys.stderr) as err:
            yield
            ok = True
    finally:
        if ok or debug():
            for got, stream in ((out, sys.stdout), (err, sys.stderr)):
                text = without_chatter(got[0]) if got else ""
                if text:
                    stream.write(text)
                    stream.flush()
