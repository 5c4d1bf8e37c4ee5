"""``sp4d autorig INPUT... --out-dir DIR``: a library rigged by workers that stay loaded
(--jobs 2), a corrupt file recorded while the others are rigged, summary.csv and the
contact sheet, --resume after the run was killed halfway, and the same through a local
Ray. Real processes, real files read back."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser

import pytest

bpy = pytest.importorskip("bpy")

from tests.conftest import BUNDLED_DIR, ROOT  # noqa: E402

SP4D = [sys.executable, "-m", "sp4d_blender.cli", "autorig"]
MODELS = ["synth_humanoid.glb", "insect_quaternius_Bee.glb", "fish_quaternius_Dolphin.glb",
          "synth_quadruped.glb"]


def _library(folder, names, corrupt=False, sub=None):
    """Copies of bundled models in ``folder`` (the last one in ``folder/sub`` if given)."""
    folder.mkdir()
    for i, name in enumerate(names):
        dest = folder / sub if sub and i == len(names) - 1 else folder
        dest.mkdir(exist_ok=True)
        shutil.copy(os.path.join(BUNDLED_DIR, name), dest / name)
    if corrupt:
        (folder / "broken.glb").write_bytes(b"glTF\x02\x00\x00\x00 this is not a model at all")
    return folder


def _done(out, ext: str) -> list:
    """Finished output files of one kind in ``out`` (temporary dot files left out)."""
    return [p for p in out.glob(f"*.{ext}") if not p.name.startswith(".")]


def _summary(out):
    with open(out / "summary.csv", newline="") as f:
        return {os.path.basename(r["file"]): r for r in csv.DictReader(f)}


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.src = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.src.append(dict(attrs)["src"])


def _read_rig(path):
    """(armature bone count, weighted mesh vertex groups) of a written file."""
    from sp4d_blender import scene_io

    objects = scene_io.load_file(str(path))
    arms = [o for o in objects if o.type == "ARMATURE"]
    assert len(arms) == 1, path
    widgets = {pb.custom_shape for pb in arms[0].pose.bones}  # the glTF importer's bone shapes
    meshes = [o for o in objects if o.type == "MESH" and o not in widgets]
    if str(path).endswith(".blend"):  # a .blend keeps the input's unused bone-shape meshes
        meshes = [o for o in meshes if o.parent is arms[0]]
    assert meshes and all(m.vertex_groups and m.parent is arms[0] for m in meshes), path
    return len(arms[0].data.bones)


def _no_leftovers(out):
    assert not [p for p in out.rglob(".sp4d-*")], "temporary files left behind"


def test_library_with_two_workers_and_a_corrupt_file(tmp_path):
    lib = _library(tmp_path / "lib", MODELS[:3], corrupt=True, sub="sea")
    out = tmp_path / "out"
    proc = subprocess.run(SP4D + [str(lib), "--out-dir", str(out), "--jobs", "2", "--steps", "1"],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 3, proc.stderr[-3000:]  # some file failed
    assert "4/4 files" in proc.stderr and "files/min" in proc.stderr
    rows = _summary(out)
    assert set(rows) == set(MODELS[:3]) | {"broken.glb"}
    bad = rows["broken.glb"]
    assert bad["status"] == "failed" and "broken.glb" in bad["error"] and "\n" not in bad["error"]
    assert bad["output"] == "" and not list(out.glob("broken.*"))
    assert "failed: " in proc.stdout and "broken.glb" in proc.stdout
    for name in MODELS[:3]:
        row = rows[name]
        stem = os.path.splitext(name)[0]
        rel = os.path.join("sea", stem) if name == MODELS[2] else stem  # sub-folders are kept
        assert row["status"] == "ok", row
        assert row["output"] == rel + ".glb"
        report = json.loads((out / (rel + ".json")).read_text())
        assert report["provenance"]["segmenter"] == "sp4d" and report["provenance"]["steps"] == 1
        assert int(row["bones"]) == report["bones"] >= 2
        assert int(row["parts"]) == report["parts"] and int(row["vertices"]) == report["vertices"]
        for stage in ("parts", "skeleton", "skinning"):
            assert float(row[f"{stage}_s"]) == pytest.approx(report["timings_s"][stage], abs=1e-3)
        assert float(row["total_s"]) > 0
        assert row["warnings"] == " | ".join(report["warnings"])
        assert _read_rig(out / (rel + ".glb")) == report["bones"]
        assert (out / (rel + ".png")).stat().st_size > 10_000
    # the contact sheet: one picture per rig, linked relative to the sheet
    page = (out / "index.html").read_text()
    images = _Images()
    images.feed(page)
    assert sorted(images.src) == sorted(rows[n]["output"][:-4].replace(os.sep, "/") + ".png" for n in MODELS[:3])
    assert all((out / src).is_file() for src in images.src)
    assert "broken.glb" in page and "<script" not in page.lower()
    _no_leftovers(out)


def test_resume_after_the_run_was_killed(tmp_path):
    lib = _library(tmp_path / "lib", MODELS)
    out = tmp_path / "out"
    cmd = SP4D + [str(lib), "--out-dir", str(out), "--jobs", "1", "--segmenter", "geometric", "--no-preview"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 600
        # a finished file's report, not a temporary ".sp4d-*" one still being written
        # (pathlib's "*" matches dot files too)
        while not _done(out, "json") and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the command and its worker
        proc.wait()
    finished = {p.stem: p.stat().st_mtime_ns for p in _done(out, "glb")}
    assert 1 <= len(finished) < len(MODELS), "kill the run halfway"
    assert not (out / "summary.csv").exists()
    proc = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = _summary(out)
    for name in MODELS:
        stem = os.path.splitext(name)[0]
        assert rows[name]["status"] == ("skipped" if stem in finished else "ok"), rows[name]
        assert int(rows[name]["bones"]) >= 2  # skipped rows are read from their reports
        if stem in finished:
            assert (out / f"{stem}.glb").stat().st_mtime_ns == finished[stem]
    assert f"skipped {len(finished)} of {len(MODELS)}" in proc.stdout
    assert _read_rig(out / "synth_quadruped.glb") == int(rows["synth_quadruped.glb"]["bones"])
    # a third run has nothing left to do
    proc = subprocess.run(cmd + ["--resume", "-q"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0 and {r["status"] for r in _summary(out).values()} == {"skipped"}
    assert "files/min" not in proc.stderr  # --quiet


def test_ray_local_rigs_through_actors(tmp_path):
    import ray  # noqa: F401  (the test extra installs Ray: missing is a failure, not a skip)

    lib = _library(tmp_path / "lib", MODELS[:2])
    out = tmp_path / "out"
    proc = subprocess.run(SP4D + [str(lib / "*.glb"), "--out-dir", str(out), "--ray", "local", "--jobs", "2",
                                  "--segmenter", "geometric", "--format", "blend"],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Ray: 2 actor(s)" in proc.stderr
    rows = _summary(out)
    assert set(rows) == set(MODELS[:2])
    for name, row in rows.items():
        stem = os.path.splitext(name)[0]
        assert row["status"] == "ok" and row["output"] == stem + ".blend"
        assert _read_rig(out / (stem + ".blend")) == int(row["bones"])
        assert (out / (stem + ".png")).is_file()
    _no_leftovers(out)


def test_one_output_for_several_inputs_is_refused(tmp_path):
    out = tmp_path / "x.glb"
    proc = subprocess.run(SP4D + [os.path.join(BUNDLED_DIR, MODELS[0]), os.path.join(BUNDLED_DIR, MODELS[1]),
                                  "-o", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and "--out-dir" in proc.stderr and not out.exists()


def _workers(pid):
    """Process ids of the pool workers the command ``pid`` spawned."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            for child in f.read().split():
                with open(f"/proc/{child}/cmdline", "rb") as c:
                    if b"spawn_main" in c.read():
                        found.append(int(child))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_that_dies_is_replaced_and_its_file_retried(tmp_path):
    lib = _library(tmp_path / "lib", MODELS[:3])
    out = tmp_path / "out"
    proc = subprocess.Popen(SP4D + [str(lib), "--out-dir", str(out), "--jobs", "1", "--segmenter", "geometric",
                                    "--no-preview"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        log = out / "batch.log"
        deadline = time.time() + 600
        while time.time() < deadline and not (log.exists() and "--- " in log.read_text(errors="replace")):
            time.sleep(0.02)
        workers = _workers(proc.pid)
        assert len(workers) == 1 and not _done(out, "json"), "the first file is being rigged"
        os.kill(workers[0], signal.SIGKILL)  # as a crash inside Blender would end it
        stdout, stderr = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, stderr[-3000:]
    rows = _summary(out)
    assert [r["status"] for r in rows.values()] == ["ok"] * 3  # the file in flight ran again in a new worker
    assert all((out / (os.path.splitext(n)[0] + ".glb")).is_file() for n in MODELS[:3])
