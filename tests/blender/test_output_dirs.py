"""Folder outputs are all or nothing, like file outputs: ``sp4d parts --out-dir DIR`` and
``sp4d footage --views-dir DIR`` write into a temporary folder beside DIR and move it in
only on success. A failure leaves DIR exactly as it was (or absent), other files in DIR
always survive, and no temporary folder is left behind."""

import os
import subprocess
import sys

import pytest

bpy = pytest.importorskip("bpy")

from tests.conftest import ROOT  # noqa: E402


def sp4d(*args, timeout=600):
    cmd = [sys.executable, "-m", "sp4d_blender.cli", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, errors="replace", cwd=ROOT,
                          timeout=timeout, env=dict(os.environ, PYTHONPATH=ROOT))


def one_error_line(proc) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("sp4d: error:")]
    assert len(lines) == 1, proc.stderr[-3000:]
    return lines[0]


def tree(folder) -> dict:
    """relative path -> bytes (folders as None) of everything under ``folder``."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            out[os.path.relpath(os.path.join(root, d), folder)] = None
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, folder)] = open(p, "rb").read()
    return out


def leftovers(folder) -> list:
    return [n for n in os.listdir(folder) if n.startswith(".sp4d-")]


@pytest.fixture(scope="module")
def creature(tmp_path_factory):
    """The corpus's plain creature as a GLB, and one with a NaN vertex."""
    folder = tmp_path_factory.mktemp("in")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_odd_corpus.py"), str(folder),
                           "--only", "plain_glb", "nan_blend"], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return str(folder / "plain.glb"), str(folder / "nan_vertex.blend")


# ---------------------------------------------------------------------------------------
# OutputFiles.add_dir on its own
# ---------------------------------------------------------------------------------------

def _write(folder, files):
    for name, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(folder, name)), exist_ok=True)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def test_add_dir_new_folder_and_parents_appear_on_commit_only(tmp_path):
    from sp4d_blender.outputs import OutputFiles

    dest = tmp_path / "a" / "b"
    with OutputFiles() as out:
        tmp = out.add_dir(str(dest))
        _write(tmp, {"x.png": b"x", "sub/y.json": b"y"})
        assert not (tmp_path / "a").exists() and leftovers(tmp_path) == [os.path.basename(tmp)]
        out.commit()
    assert tree(dest) == {"x.png": b"x", "sub": None, os.path.join("sub", "y.json"): b"y"}
    umask = os.umask(0)
    os.umask(umask)
    assert leftovers(tmp_path) == [] and dest.stat().st_mode & 0o777 == 0o777 & ~umask
    with OutputFiles() as out:  # failure: nothing at all
        _write(out.add_dir(str(tmp_path / "c")), {"x.png": b"x"})
    assert sorted(os.listdir(tmp_path)) == ["a"]


def test_add_dir_into_existing_folder_keeps_other_files(tmp_path):
    from sp4d_blender.outputs import OutputFiles

    dest = tmp_path / "views"
    _write(dest, {"notes.txt": b"mine", "x.png": b"old"})
    with OutputFiles() as out:
        _write(out.add_dir(str(dest)), {"x.png": b"new", "z.png": b"z"})
        out.commit()
    assert tree(dest) == {"notes.txt": b"mine", "x.png": b"new", "z.png": b"z"}
    assert leftovers(tmp_path) == []


def test_add_dir_refusals_leave_everything_as_it_was(tmp_path):
    from engine.errors import InputError
    from sp4d_blender.outputs import OutputFiles

    dest = tmp_path / "views"
    _write(dest, {"notes.txt": b"mine", "mask.png": b"the input mask"})
    os.mkdir(dest / "x.png")  # a folder where a file must go
    (tmp_path / "file").write_bytes(b"f")
    before = tree(tmp_path)
    with OutputFiles() as out:
        with pytest.raises(InputError, match="is not a folder"):
            out.add_dir(str(tmp_path / "file"))
    with OutputFiles(inputs=[str(dest)]) as out:  # VIDEO given as a folder of frames
        with pytest.raises(InputError, match="is the input folder"):
            out.add_dir(str(dest), "--views-dir")
    # the folder in the way is found before anything moves: the file output is not written either
    with OutputFiles() as out:
        open(out.add(str(tmp_path / "o.glb")), "wb").write(b"glb")
        _write(out.add_dir(str(dest)), {"a.png": b"a", "x.png": b"x"})
        with pytest.raises(InputError, match="x.png is a folder"):
            out.commit()
    with OutputFiles(inputs=[str(dest / "mask.png")]) as out:  # would replace an input file
        _write(out.add_dir(str(dest), "--views-dir"), {"mask.png": b"sheet"})
        with pytest.raises(InputError, match="would replace the input file"):
            out.commit()
    with OutputFiles() as out:  # nothing written
        out.add_dir(str(tmp_path / "empty"))
        with pytest.raises(InputError, match="nothing was written"):
            out.commit()
    assert tree(tmp_path) == before


def test_add_dir_move_failing_half_way_puts_the_old_files_back(tmp_path, monkeypatch):
    from engine.errors import InputError
    from sp4d_blender import outputs

    dest = tmp_path / "views"
    _write(dest, {"notes.txt": b"mine", "a.png": b"old a", "b.png": b"old b"})
    before = tree(tmp_path)
    real_replace, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 4:  # a.png moved in, b.png backed up, then the disk fills
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    with outputs.OutputFiles() as out:
        _write(out.add_dir(str(dest)), {"a.png": b"new a", "b.png": b"new b"})
        monkeypatch.setattr(outputs.os, "replace", flaky)
        with pytest.raises(InputError, match="No space left"):
            out.commit()
        monkeypatch.setattr(outputs.os, "replace", real_replace)
    assert len(calls) >= 4 and tree(tmp_path) == before


# ---------------------------------------------------------------------------------------
# sp4d parts --out-dir
# ---------------------------------------------------------------------------------------

def test_parts_out_dir_moves_in_and_keeps_other_files(creature, tmp_path):
    dest = tmp_path / "parts"
    _write(dest, {"notes.txt": b"mine", "sheet.png": b"old sheet"})
    proc = sp4d("parts", creature[0], "--out-dir", dest, "--steps", "1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    files = tree(dest)
    assert files["notes.txt"] == b"mine" and files["sheet.png"] != b"old sheet"
    assert {"labels.npy", "labels.json", "cameras.json", "rgb_v00.png"} <= set(files)
    assert f"files in {dest}" in proc.stdout and leftovers(tmp_path) == []


def test_parts_failure_leaves_out_dir_as_it_was(creature, tmp_path):
    """A late failure (a folder where labels.npy goes, found after the model ran) and an
    early one (a NaN vertex): DIR unchanged, or not created; no temporary folder left."""
    dest = tmp_path / "parts"
    _write(dest, {"notes.txt": b"mine", "rgb_v00.png": b"old"})
    os.mkdir(dest / "labels.npy")
    before = tree(tmp_path)
    msg = one_error_line(sp4d("parts", creature[0], "--out-dir", dest, "--steps", "1"))
    assert "--out-dir" in msg and "labels.npy is a folder" in msg, msg
    assert tree(tmp_path) == before
    msg = one_error_line(sp4d("parts", creature[1], "--out-dir", tmp_path / "new" / "parts"))
    assert "NaN" in msg and tree(tmp_path) == before
    (tmp_path / "file").write_bytes(b"f")
    msg = one_error_line(sp4d("parts", creature[0], "--out-dir", tmp_path / "file"))
    assert "not a folder" in msg


# ---------------------------------------------------------------------------------------
# sp4d footage --views-dir (the smallest settings the command takes)
# ---------------------------------------------------------------------------------------

SMALL = ("--frames", "1", "--steps", "1", "--resolution", "16", "--faces", "200")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    from engine.footage.testclip import write_clip

    return write_clip(10_000_007, str(tmp_path_factory.mktemp("clip")), n_frames=4, size=64)


def test_footage_views_dir_all_or_nothing(clip, tmp_path):
    """Late failure (a folder where cameras.json goes, found once everything else is
    done): neither OUTPUT, --report nor DIR change. Then the same run succeeds: the views
    move in beside the user's file."""
    out, rep, dest = tmp_path / "o.glb", tmp_path / "r.json", tmp_path / "views"
    _write(dest, {"notes.txt": b"mine", "input.png": b"old"})
    os.mkdir(dest / "cameras.json")
    before = tree(tmp_path)
    msg = one_error_line(sp4d("footage", clip.video, "-o", out, "--report", rep, "--views-dir", dest, *SMALL))
    assert "--views-dir" in msg and "cameras.json is a folder" in msg, msg
    assert tree(tmp_path) == before
    os.rmdir(dest / "cameras.json")
    proc = sp4d("footage", clip.video, "-o", out, "--report", rep, "--views-dir", dest, *SMALL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    files = tree(dest)
    assert files["notes.txt"] == b"mine" and files["input.png"] != b"old"
    assert {"views_rgb.png", "views_part.png", "cameras.json"} <= set(files)
    assert out.exists() and rep.exists() and leftovers(tmp_path) == []


def test_footage_early_failures_write_no_views(clip, tmp_path):
    out, dest = tmp_path / "o.glb", tmp_path / "views"
    msg = one_error_line(sp4d("footage", clip.video, "-o", out, "--views-dir", dest,
                              "--mask", tmp_path / "no_mask.png", *SMALL))
    assert "no_mask.png" in msg, msg
    assert os.listdir(tmp_path) == []
    msg = one_error_line(sp4d("footage", clip.frames_dir, "-o", out, "--views-dir", clip.frames_dir, *SMALL))
    assert "is the input folder" in msg, msg
    assert os.listdir(tmp_path) == []
