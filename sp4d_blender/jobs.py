"""Long-running engine work off Blender's main thread.

An operator splits its work in three: ``prepare`` (main thread: validate the selection and
copy bpy data into arrays), ``compute`` (worker thread: engine only, never touches bpy)
and ``apply`` (main thread: write results back). Nothing in the scene changes before
``apply``, so cancel or failure leaves the scene as it was, and the whole change is one
undo step (the operator returns FINISHED once, after ``apply``).

Interactively the operator runs modal: a timer polls the worker, the panel shows a
progress bar and stage text, Esc cancels (and is consumed: it does not reach Blender). In background mode (``sp4d`` command, tests)
``execute`` runs the same three phases synchronously.
"""

from __future__ import annotations

import threading
import traceback

import bpy

from .engine.errors import Cancelled, SP4DError


class Job:
    """One compute call on a worker thread with progress and cooperative cancel."""

    def __init__(self, compute):
        self._compute = compute
        self._cancel = threading.Event()
        self.fraction = 0.0
        self.text = "starting"
        self.result = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def progress(self, fraction: float, text: str = "") -> None:
        """Engine progress callback: records progress, raises Cancelled once cancel()."""
        if self._cancel.is_set():
            raise Cancelled("cancelled by the user; nothing was changed")
        self.fraction, self.text = float(fraction), text or self.text

    def _run(self):
        try:
            self.result = self._compute(self.progress)
        except BaseException as exc:  # reported on the main thread
            self.error = exc
            if not isinstance(exc, SP4DError):
                traceback.print_exc()

    def start(self) -> "Job":
        self.thread.start()
        return self

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def done(self) -> bool:
        return not self.thread.is_alive()

    def run_sync(self):
        """Run on the calling thread (background mode); re-raise any error."""
        self._run()
        if self.error is not None:
            raise self.error
        return self.result


def error_message(exc: BaseException) -> str:
    """One line for the artist: engine errors as they are, anything else named."""
    if isinstance(exc, SP4DError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else 'unexpected error'}"


def _set_status(context, fraction: float | None, text: str | None) -> None:
    wm = context.window_manager
    if fraction is None:
        wm.sp4d_running = False
        wm.sp4d_status = ""
    else:
        wm.sp4d_running = True
        wm.sp4d_progress = fraction
        wm.sp4d_status = text or ""
    for window in wm.windows:
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()


class JobOperator:
    """Mixin for operators that run engine work as a Job.

    Subclasses implement ``prepare(context) -> compute`` (a callable taking ``progress``)
    and ``apply(context, result) -> str`` (a summary line), raising SP4DError for bad
    input. Declare ``bl_options = {'REGISTER', 'UNDO'}``.
    """

    _timer = None
    _job: Job | None = None

    def prepare(self, context):
        raise NotImplementedError

    def apply(self, context, result) -> str:
        raise NotImplementedError

    def _fail(self, exc: BaseException):
        self.report({"ERROR"}, error_message(exc))
        return {"CANCELLED"}

    def execute(self, context):
        try:
            compute = self.prepare(context)
            result = Job(compute).run_sync()
            self.report({"INFO"}, self.apply(context, result))
        except Cancelled as exc:
            self.report({"WARNING"}, str(exc))
            return {"CANCELLED"}
        except Exception as exc:
            return self._fail(exc)
        return {"FINISHED"}

    def invoke(self, context, event):
        if bpy.app.background or context.window_manager.sp4d_running:
            if context.window_manager.sp4d_running:
                self.report({"WARNING"}, "SP4D is already running a job; wait or press Esc")
                return {"CANCELLED"}
            return self.execute(context)
        try:
            compute = self.prepare(context)
        except Exception as exc:
            return self._fail(exc)
        self._job = Job(compute).start()
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.modal_handler_add(self)
        _set_status(context, 0.0, "starting")
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        job = self._job
        if event.type == "ESC":
            # consumed: Esc cancels the job and must not also reach Blender (which would,
            # say, leave a modal tool or cancel a render)
            if event.value == "PRESS":
                job.cancel()
                _set_status(context, job.fraction, "cancelling...")
            return {"RUNNING_MODAL"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        if not job.done:
            _set_status(context, job.fraction, job.text)
            return {"RUNNING_MODAL"}
        context.window_manager.event_timer_remove(self._timer)
        _set_status(context, None, None)
        if isinstance(job.error, Cancelled):
            self.report({"WARNING"}, str(job.error))
            return {"CANCELLED"}
        if job.error is not None:
            return self._fail(job.error)
        try:
            self.report({"INFO"}, self.apply(context, job.result))
        except Exception as exc:
            return self._fail(exc)
        return {"FINISHED"}


def register_properties():
    wm = bpy.types.WindowManager
    wm.sp4d_running = bpy.props.BoolProperty(default=False, options={"SKIP_SAVE"})
    wm.sp4d_progress = bpy.props.FloatProperty(default=0.0, min=0.0, max=1.0, subtype="FACTOR",
                                               options={"SKIP_SAVE"})
    wm.sp4d_status = bpy.props.StringProperty(default="", options={"SKIP_SAVE"})


def unregister_properties():
    wm = bpy.types.WindowManager
    for name in ("sp4d_running", "sp4d_progress", "sp4d_status"):
        if hasattr(wm, name):
            delattr(wm, name)
