"""``sp4d autorig INPUT... --out-dir DIR``: rig a library with workers that stay loaded.

Each worker (a process of a ``concurrent.futures.ProcessPoolExecutor``, or a Ray actor
with ``--ray``) imports Blender and torch and loads the SP4D model once, then rigs files
one after another, each in a fresh empty scene, through ``commands.autorig.rig_file`` (the
single-file command's path). A failing file becomes a "failed" row with its one-line error
and the rest go on. The parent process only plans, shows progress and writes
``summary.csv`` and ``index.html`` (``engine.library_report``).

Exit status: 0 when every file was rigged or skipped, 3 when at least one file failed
(listed in summary.csv), 2 for a bad command line (nothing found, outputs that collide),
130 when interrupted.
"""

from __future__ import annotations

import glob
import json
import os
import sys
import time

EXIT_SOME_FAILED = 3
LOG_NAME = "batch.log"
# scene_io.IMPORT_EXTS, spelled out: the parent process must not import bpy (Blender puts its
# scripts/modules on sys.path, which spawned workers inherit and then cannot import bpy)
IMPORT_EXTS = (".glb", ".gltf", ".fbx", ".obj", ".blend")
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# --------------------------------------------------------------------------- planning


def find_inputs(patterns, out_dir: str) -> list[tuple[str, str]]:
    """(input path, output stem relative to ``out_dir``) for every file named by
    ``patterns``: files as given, folders searched recursively (sub-folders kept in the
    output names), globs expanded. Hidden files and anything under ``out_dir`` are left
    out. Raises InputError when a pattern names nothing or two inputs share an output."""
    from .engine.errors import InputError

    out_real = os.path.realpath(out_dir)
    found: list[tuple[str, str]] = []

    def inside_out_dir(path: str) -> bool:
        real = os.path.realpath(path)
        return real == out_real or real.startswith(out_real + os.sep)

    def usable(name: str) -> bool:
        return not name.startswith(".") and os.path.splitext(name)[1].lower() in IMPORT_EXTS

    for pattern in patterns:
        if os.path.isdir(pattern):
            hits = []
            for folder, dirs, files in os.walk(pattern):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                                 and not inside_out_dir(os.path.join(folder, d)))
                for name in sorted(files):
                    if usable(name):
                        path = os.path.join(folder, name)
                        hits.append((path, os.path.splitext(os.path.relpath(path, pattern))[0]))
        elif os.path.isfile(pattern):
            hits = [(pattern, os.path.splitext(os.path.basename(pattern))[0])]
        elif glob.has_magic(pattern):
            hits = [(p, os.path.splitext(os.path.basename(p))[0])
                    for p in sorted(glob.glob(pattern, recursive=True))
                    if os.path.isfile(p) and usable(os.path.basename(p))]
        else:
            raise InputError(f"input not found: {pattern}")
        kept = [h for h in hits if not inside_out_dir(h[0])]
        if not kept:
            raise InputError(f"no .glb/.gltf/.fbx/.obj/.blend files in {pattern}" + (
                f" outside --out-dir {out_dir} (files in it are outputs, never inputs)" if hits else ""))
        hits = kept
        found += hits
    seen: dict[str, str] = {}
    unique = []
    for path, stem in found:
        if any(os.path.exists(p) and os.path.exists(path) and os.path.samefile(p, path) for p in seen.values()):
            continue  # the same file named twice (a folder and a glob inside it...)
        key = os.path.normcase(stem)
        if key in seen:
            raise InputError(f"{seen[key]} and {path} would both be written as {stem}.*: "
                             "rig them into different --out-dir folders or rename one")
        seen[key] = path
        unique.append((path, stem))
    return unique


def plan(inputs, out_dir: str, fmt: str, previews: bool) -> list[dict]:
    """One task per input: the paths a worker writes."""
    tasks = []
    for path, stem in inputs:
        base = os.path.join(out_dir, stem)
        tasks.append({"input": path, "output": f"{base}.{fmt}", "report": f"{base}.json",
                      "preview": f"{base}.png" if previews else None})
    return tasks


def skipped_row(task: dict) -> dict | None:
    """The row of a file rigged by an earlier run (its output and report exist), read
    from its report; None when it must be rigged."""
    if not (os.path.isfile(task["output"]) and os.path.isfile(task["report"])):
        return None
    try:
        with open(task["report"]) as f:
            report = json.load(f)
    except (OSError, ValueError):
        return None  # a report we cannot read: rig again
    row = _row(task, "skipped", report=report)
    if task.get("preview") and not os.path.isfile(task["preview"]):
        row["preview"] = None
    return row


def _row(task: dict, status: str, error: str = "", report: dict | None = None, seconds=None) -> dict:
    report = report or {}
    return {"file": task["input"], "status": status, "error": error,
            "output": task["output"], "report": task["report"], "preview": task.get("preview"),
            "vertices": report.get("vertices"), "bones": report.get("bones"), "parts": report.get("parts"),
            "timings": report.get("timings_s") or {}, "warnings": report.get("warnings") or [],
            "seconds": seconds}


# --------------------------------------------------------------------------- workers

_WORKER: dict = {}


def init_worker(settings: dict, log_path: str | None = None, threads: int | None = None) -> None:
    """Start a worker: its output to ``log_path``, torch threads, Blender and the SP4D model
    loaded now. Blender failing to start fails every file this worker takes; a model that
    cannot load is only logged here (each file then meets the engine's own error)."""
    t0 = time.perf_counter()
    if log_path:
        fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    _WORKER.clear()
    _WORKER["settings"] = dict(settings)
    if "bpy" not in sys.modules:  # a parent that had imported bpy left Blender's modules on sys.path
        sys.path[:] = [p for p in sys.path if not p.rstrip(os.sep).endswith(os.path.join("scripts", "modules"))]
    try:
        import bpy  # noqa: F401  (Blender loads now, not with the first file)

        from . import interface

        interface.set_cli(True)
    except Exception as exc:  # noqa: BLE001  (reported per file)
        import traceback

        traceback.print_exc()  # into the worker's log
        _WORKER["error"] = f"the worker could not start: {type(exc).__name__}: {_one_line(exc)}"
    if "error" not in _WORKER and settings.get("segmenter", "sp4d") == "sp4d":
        try:
            _load_model(settings)
        except Exception:  # noqa: BLE001  (the first file meets the same error, in its own row)
            import traceback

            traceback.print_exc()
    if threads and "torch" in sys.modules:  # (the geometric segmenter and ONNX Runtime need no torch)
        sys.modules["torch"].set_num_threads(int(threads))
    _WORKER["init_s"] = time.perf_counter() - t0
    _WORKER["fresh"] = True


class WorkerError(RuntimeError):
    """The worker could not start Blender: every file it takes fails with this line."""


def _one_line(text) -> str:
    return " ".join(str(text).split())[:300] or "unknown error"


def _load_model(settings: dict) -> None:
    """Load the SP4D model the way the engine will for these settings (cached there), so
    files do not pay for it: the torch pipeline or the ONNX Runtime denoiser."""
    from .engine.autorig import resolve_device

    from .paths import bundled_model_dir

    model_dir = settings.get("model") or bundled_model_dir()
    device = settings.get("device") or "cpu"
    try:
        from .engine.runtime import resolve_runtime
    except ImportError:  # an engine without the ONNX Runtime path
        runtime = "torch"
    else:
        runtime = resolve_runtime("auto", device, model_dir)
    if runtime == "onnx":
        from .engine.runtime.onnx_model import load_denoiser

        load_denoiser(model_dir)
        return
    import torch

    from .engine.pipelines.parts_for_mesh import get_pipeline

    dev = torch.device(resolve_device(device)[0])
    get_pipeline(model_dir, dev, torch.bfloat16 if dev.type == "cuda" else torch.float32)


def rig_one(task: dict) -> dict:
    """Rig one file in this worker (a fresh scene, the single-file path); never raises:
    a failure is a row with status "failed" and one line of error."""
    from .engine.errors import SP4DError

    from .commands.autorig import rig_file

    t0 = time.perf_counter()
    print(f"--- {task['input']}", flush=True)
    try:
        if "error" in _WORKER:
            raise WorkerError(_WORKER["error"])
        report, _ = rig_file(task["input"], task["output"], task["report"], task.get("preview"),
                             **_WORKER["settings"])
        row = _row(task, "ok", report=report, seconds=time.perf_counter() - t0)
    except SP4DError as exc:
        row = _row(task, "failed", _one_line(exc), seconds=time.perf_counter() - t0)
    except MemoryError:
        row = _row(task, "failed", "out of memory", seconds=time.perf_counter() - t0)
    except WorkerError as exc:
        row = _row(task, "failed", str(exc), seconds=time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001  (a bug or an input nobody foresaw: still one row)
        import traceback

        traceback.print_exc()  # into the worker's log
        row = _row(task, "failed", f"unexpected {type(exc).__name__}: {_one_line(exc)}",
                   seconds=time.perf_counter() - t0)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    row["worker"] = os.getpid()
    if _WORKER.pop("fresh", False):  # the first file of a worker carries its start-up cost
        row["worker_init_s"] = round(_WORKER.get("init_s", 0.0), 3)
    return row


class RigWorker:
    """A Ray actor: one Blender + model per actor (``init_worker``), files via ``rig``."""

    def __init__(self, settings: dict, log_path: str | None = None, threads: int | None = None):
        init_worker(settings, log_path, threads)

    def rig(self, task: dict) -> dict:
        return rig_one(task)


# --------------------------------------------------------------------------- running


def run_pool(tasks, jobs: int, settings: dict, on_row, log_path=None) -> None:
    """Rig ``tasks`` with ``jobs`` worker processes (spawned, so no Blender state is
    shared); ``on_row(row)`` as each file finishes. A worker that dies (a crash inside
    Blender) takes its pool with it: the pool is started again for the files left, and a
    file that was in flight during two crashes is recorded as failed."""
    threads = max(1, (os.cpu_count() or 1) // max(1, jobs))
    # the workers' OpenMP / BLAS pools get their share of the cores, as Ray gives its actors
    # (set before they are spawned: they inherit it; a value the user set is kept)
    env = {k: str(threads) for k in THREAD_ENV if k not in os.environ}
    os.environ.update(env)
    try:
        _run_pool(tasks, jobs, settings, on_row, log_path, threads)
    finally:
        for k in env:
            os.environ.pop(k, None)


def _run_pool(tasks, jobs, settings, on_row, log_path, threads) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    strikes: dict[int, int] = {}
    todo = list(range(len(tasks)))
    while todo:
        n = min(jobs, len(todo))
        ex = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=init_worker, initargs=(settings, log_path, threads))
        futures = {ex.submit(rig_one, tasks[i]): i for i in todo}
        done: set[int] = set()
        broken = False
        try:
            for fut in as_completed(futures):
                try:
                    row = fut.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                done.add(futures[fut])
                on_row(row)
        finally:
            ex.shutdown(wait=not broken, cancel_futures=True)
        left = [i for i in todo if i not in done]
        if not broken or not left:
            break
        # files go to the workers in order: the ones in flight were the first n + 1 left
        suspects = left[:n + 1]
        for i in suspects:
            strikes[i] = strikes.get(i, 0) + 1
        for i in [i for i in suspects if strikes[i] >= 2]:
            on_row(_row(tasks[i], "failed", "the worker process died while rigging it (a crash in Blender?)"))
        todo = [i for i in left if i not in suspects] + [i for i in suspects if strikes[i] < 2]


def run_ray(tasks, jobs: int | None, settings: dict, on_row, address: str | None, log_path=None,
            say=print) -> None:
    """Rig ``tasks`` on Ray actors (``RigWorker``): one per GPU of the cluster (``num_gpus=1``,
    device cuda unless --device says otherwise) when it has GPUs, else one per CPU; ``jobs``
    caps the number. ``address``: None or "" (RAY_ADDRESS if set, else a local Ray),
    "local" (a new local Ray), or a cluster address (ray://host:10001). Inputs and outputs
    must be on a path every node sees."""
    import logging

    from .engine.errors import InputError

    try:
        import ray
        from ray.exceptions import RayActorError, RayError
    except ImportError:
        raise InputError("--ray needs Ray: pip install 'sp4d-blender[cluster]' "
                         "(the same Ray version as the cluster)") from None
    if address in (None, "") and not os.environ.get("RAY_ADDRESS"):
        address = "local"
    if address == "local":
        ray.init(address="local", num_cpus=jobs or os.cpu_count() or 1, include_dashboard=False,
                 log_to_driver=False, object_store_memory=100 * 1024 ** 2, logging_level=logging.WARNING)
    else:
        ray.init(address=address or None, log_to_driver=False, logging_level=logging.WARNING)
    # every node opens the files itself: absolute paths (on a path all nodes share)
    given = {os.path.abspath(t["input"]): t for t in tasks}
    tasks = [{k: os.path.abspath(v) if isinstance(v, str) else v for k, v in t.items()} for t in tasks]
    report_row = on_row

    def on_row(row: dict) -> None:
        task = given[row["file"]]
        report_row({**row, **{k: task.get(k) for k in ("output", "report", "preview")}, "file": task["input"]})

    try:
        res = ray.cluster_resources()
        gpus, cpus = int(res.get("GPU", 0)), int(res.get("CPU", 1))
        settings = dict(settings)
        if gpus:
            n = min(jobs or gpus, gpus)
            settings["device"] = settings.get("device") or "cuda"
            opts, threads = {"num_gpus": 1, "num_cpus": 1}, None
        else:
            n = max(1, min(jobs or cpus, cpus))
            node_cpus = max([int(nd["Resources"].get("CPU", 0)) for nd in ray.nodes() if nd.get("Alive")] or [1])
            per = max(1, min(cpus // n, node_cpus))
            opts, threads = {"num_cpus": per}, per
        n = max(1, min(n, len(tasks)))
        say(f"Ray: {n} actor(s) on {cpus} CPU(s), {gpus} GPU(s)"
            + (f" at {address}" if address != "local" else " (local)"))
        actor_class = ray.remote(RigWorker).options(**opts)

        def start():
            return actor_class.remote(settings, log_path, threads)

        idle = [start() for _ in range(n)]
        queue = list(tasks)[::-1]
        pending = {}
        while queue or pending:
            while idle and queue:
                actor, task = idle.pop(), queue.pop()
                pending[actor.rig.remote(task)] = (actor, task)
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                actor, task = pending.pop(ref)
                try:
                    row = ray.get(ref)
                    idle.append(actor)
                except RayActorError as exc:  # the actor's process died: a new one for the rest
                    row = _row(task, "failed", f"the Ray worker died while rigging it: {_one_line(exc)[:200]}")
                    idle.append(start())
                except RayError as exc:
                    row = _row(task, "failed", f"Ray: {_one_line(exc)[:200]}")
                    idle.append(actor)
                on_row(row)
    finally:
        ray.shutdown()


# --------------------------------------------------------------------------- progress


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


class BatchProgress:
    """Files done / total, files per minute and time left on stderr: a bar redrawn in place
    on a terminal, one line per file otherwise; nothing when ``quiet``."""

    def __init__(self, total: int, quiet: bool = False, tty: bool | None = None):
        self.total, self.quiet = total, quiet
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.done = self.failed = self.worked = 0
        self.t0 = time.perf_counter()

    def text(self) -> str:
        elapsed = time.perf_counter() - self.t0
        rate = 60.0 * self.worked / elapsed if self.worked and elapsed > 0 else 0.0
        left = f"~{_duration((self.total - self.done) / rate * 60)} left" if rate else "time left: ?"
        failed = f", {self.failed} failed" if self.failed else ""
        return f"{self.done}/{self.total} files{failed}, {rate:.1f} files/min, {left}"

    def update(self, row: dict, skipped: bool = False) -> None:
        self.done += 1
        self.failed += row["status"] == "failed"
        self.worked += not skipped
        if self.quiet:
            return
        if self.tty:
            frac = self.done / max(1, self.total)
            bar = "#" * int(30 * frac)
            sys.stderr.write(f"\r[{bar:<30}] {self.text()} ")
            if self.done >= self.total:
                sys.stderr.write("\n")
        else:
            what = os.path.basename(row["file"])
            extra = f": {row['error']}" if row["status"] == "failed" else (
                f" ({row['seconds']:.1f}s)" if row.get("seconds") else "")
            sys.stderr.write(f"sp4d: [{self.text()}] {row['status']} {what}{extra}\n")
        sys.stderr.flush()

    def say(self, text: str) -> None:
        if not self.quiet:
            if self.tty and self.done:
                sys.stderr.write("\n")
            sys.stderr.write(f"sp4d: {text}\n")
            sys.stderr.flush()


# --------------------------------------------------------------------------- the command


def relative_row(row: dict, out_dir: str) -> dict:
    """``row`` with output/report/preview relative to ``out_dir`` (for links and the CSV)."""
    row = dict(row)
    for k in ("output", "report", "preview"):
        if row.get(k):
            row[k] = os.path.relpath(row[k], out_dir)
    return row


def write_report(out_dir: str, rows) -> tuple[str, str]:
    """Write ``summary.csv`` and ``index.html`` into ``out_dir`` (atomically)."""
    from .engine.library_report import contact_sheet_html, summary_csv

    from .outputs import OutputFiles

    rel = [relative_row(r, out_dir) for r in rows]
    csv_path, html_path = os.path.join(out_dir, "summary.csv"), os.path.join(out_dir, "index.html")
    with OutputFiles() as out:
        for path, text in ((csv_path, summary_csv(rel)),
                           (html_path, contact_sheet_html(rel, f"SP4D rigs: {os.path.basename(os.path.abspath(out_dir))}"))):
            with open(out.add(path, "summary"), "w", encoding="utf-8", newline="") as f:
                f.write(text)
        out.commit()
    return csv_path, html_path


def run_batch(args) -> int:
    """``sp4d autorig`` with several inputs / a folder / a glob / ``--ray``."""
    from .engine.errors import InputError

    from .commands.autorig import RIG_SETTINGS

    if not args.out_dir:
        raise InputError("several inputs, a folder, a glob or --ray: give --out-dir DIR for the outputs")
    if args.jobs is not None and args.jobs < 1:
        raise InputError("--jobs must be at least 1")
    if args.max_influences < 1:
        raise InputError("--max-influences must be at least 1")
    if args.ray and os.path.exists(args.ray):
        raise InputError(f"--ray took {args.ray} as its ADDRESS: put --ray after the inputs, "
                         "or give it one (--ray local)")
    out_dir = args.out_dir
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise InputError(f"--out-dir {out_dir} is a file")
    tasks = plan(find_inputs(args.input, out_dir), out_dir, args.format, not args.no_preview)
    os.makedirs(out_dir, exist_ok=True)
    for folder in sorted({os.path.dirname(t["output"]) for t in tasks}):
        os.makedirs(folder, exist_ok=True)
    settings = {k: getattr(args, k) for k in RIG_SETTINGS}
    progress = BatchProgress(len(tasks), args.quiet)
    rows: dict[str, dict] = {}
    todo = []
    for t in tasks:
        row = skipped_row(t) if args.resume else None
        if row is None:
            todo.append(t)
        else:
            rows[t["input"]] = row
    if rows:
        progress.say(f"skipping {len(rows)} file(s) already rigged (--resume)")
        for row in rows.values():
            progress.update(row, skipped=True)
    log_path = os.path.abspath(os.path.join(out_dir, LOG_NAME))

    def on_row(row: dict) -> None:
        rows[row["file"]] = row
        progress.update(row)

    t0 = time.perf_counter()
    interrupted = False
    try:
        if todo:
            if args.ray is not None:
                run_ray(todo, args.jobs, settings, on_row, args.ray, log_path, say=progress.say)
            else:
                jobs = args.jobs or 1
                progress.say(f"rigging {len(todo)} file(s) with {min(jobs, len(todo))} worker(s); "
                             f"worker output in {os.path.join(out_dir, LOG_NAME)}")
                run_pool(todo, jobs, {**settings, "device": settings["device"] or "cpu"}, on_row, log_path)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        ordered = [rows[t["input"]] for t in tasks if t["input"] in rows]
        csv_path, html_path = write_report(out_dir, ordered)
    from .engine.library_report import counts

    c = counts(ordered)
    elapsed = time.perf_counter() - t0
    worked = c["ok"] + c["failed"]
    rate = f", {60 * worked / elapsed:.1f} files/min" if worked and elapsed > 0 else ""
    print(f"rigged {c['ok']}, failed {c['failed']}, skipped {c['skipped']} of {len(tasks)} file(s) "
          f"in {_duration(elapsed)}{rate} -> {csv_path}, {html_path}")
    for r in ordered:
        if r["status"] == "failed":
            print(f"failed: {r['file']}: {r['error']}")
    if interrupted:
        print(f"sp4d: cancelled after {len(ordered)} of {len(tasks)} file(s); rerun with --resume",
              file=sys.stderr)
        return 130
    return EXIT_SOME_FAILED if c["failed"] else 0
