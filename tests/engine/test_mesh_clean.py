"""engine.mesh cleaning on real reference models (seam-split glTF meshes)."""

import numpy as np
import pytest

from engine.errors import InputError
from engine.mesh import MeshData, clean_mesh, shells, vertex_adjacency


def test_weld_joins_gltf_seams(reference_model):
    # the Fox arrives split at every UV seam: 1728 vertices, but it is one closed body
    m = reference_model("quadruped_khronos_Fox", stand_in=False)
    c = clean_mesh(m.mesh)
    assert c.mesh.n_vertices < m.mesh.n_vertices / 3
    assert c.n_shells == 1
    # every original vertex maps to a welded vertex at the same place
    assert np.allclose(c.mesh.vertices[c.vertex_map], m.mesh.vertices, atol=1e-6 * m.mesh.scale())


@pytest.mark.parametrize("factor", [1e-3, 1e3])
def test_weld_is_scale_free(reference_model, factor):
    m = reference_model("humanoid_khronos_CesiumMan")
    ref = clean_mesh(m.mesh)
    scaled = clean_mesh(MeshData(m.mesh.vertices * factor, m.mesh.faces, m.mesh.object_ids))
    assert scaled.mesh.n_vertices == ref.mesh.n_vertices
    assert len(scaled.mesh.faces) == len(ref.mesh.faces)
    assert scaled.n_shells == ref.n_shells


def test_multi_shell_model_keeps_its_shells(reference_model):
    m = reference_model("humanoid_gdquest_Mannequiny")
    c = clean_mesh(m.mesh)
    n, ids = shells(c.mesh.n_vertices, c.mesh.faces)
    assert n == c.n_shells > 1
    # no edge crosses shells
    a = vertex_adjacency(c.mesh.n_vertices, c.mesh.faces).tocoo()
    assert (ids[a.row] == ids[a.col]).all()


def test_degenerate_faces_dropped():
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [2, 0, 0], [0, 0, 0]], float)
    f = np.array([[0, 1, 2], [0, 1, 3], [0, 4, 1], [2, 1, 0]])   # collinear, repeated after weld, duplicate
    c = clean_mesh(MeshData(v, f))
    assert len(c.mesh.faces) == 1


def test_bad_meshes_raise_one_line_errors():
    for mesh in (MeshData(np.zeros((0, 3)), np.zeros((0, 3))),
                 MeshData(np.array([[0, 0, 0], [1, 0, 0], [np.nan, 0, 0]]), [[0, 1, 2]]),
                 MeshData(np.eye(3), np.zeros((0, 3)))):
        with pytest.raises(InputError) as e:
            clean_mesh(mesh)
        assert "\n" not in str(e.value)
