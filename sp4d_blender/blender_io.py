"""Calling Blender's importers and exporters quietly.

Blender's Python operators print a full traceback to the process's stderr when they fail
(before the caller sees the RuntimeError), and the RuntimeError text holds the traceback
too. ``quiet_operator`` keeps both away from the user: stderr written during the call is
captured and shown again only if the call succeeded (or with ``SP4D_DEBUG=1``), and a
failure becomes one line.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

DEBUG_ENV = "SP4D_DEBUG"


def debug() -> bool:
    """Whether the user asked for tracebacks (``SP4D_DEBUG=1``)."""
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def error_line(exc: BaseException) -> str:
    """The one meaningful line of a Blender operator's error text: the last line that
    reads ``Error: ...`` / ``SomethingError: ...``, else the last non-empty line that is
    not a traceback frame."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if re.match(r"^[A-Za-z_.]*(Error|Exception)\b:?", ln)]
    pick = errors[-1] if errors else next(
        (ln for ln in reversed(lines) if not ln.startswith(("File ", "Location:", "Traceback", "^", "~"))),
        type(exc).__name__)
    pick = re.sub(r"^Error:\s*", "", pick)
    return pick[:300]


@contextlib.contextmanager
def captured_stderr():
    """Send file descriptor 2 (C and Python writes alike) to a temporary file for the
    block. On success the text is written to stderr again; on an exception it is dropped
    (kept with SP4D_DEBUG=1)."""
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (embedded): nothing to capture
        yield
        return
    sys.stderr.flush()
    with tempfile.TemporaryFile(mode="w+b") as buf:
        os.dup2(buf.fileno(), 2)
        ok = False
        try:
            yield
            ok = True
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if ok or debug():
                buf.seek(0)
                text = buf.read()
                if text:
                    sys.stderr.write(text.decode("utf-8", "replace"))
                    sys.stderr.flush()
