"""Lifting part-colour maps from 12 views onto mesh vertices."""

import numpy as np

from engine.eval.part_metrics import adjusted_rand_index as ari
from engine.mesh import MeshData
from engine.parts import LiftOptions, lift_part_colors
from engine.render import orbit_cameras, render_batch
from engine.synth import generate


def _render(o, size=128):
    out = render_batch([o], orbit_cameras(12, elevation_deg=15, image_size=size), "cpu", return_bary=True)
    g = lambda k: out[k][0, :, 0]
    return (g("face_ids")[:, 0].numpy(), g("part_colors").permute(0, 2, 3, 1).numpy(), g("alpha")[:, 0].numpy(),
            g("bary").permute(0, 2, 3, 1).numpy())


# exact (noise-free) maps: no regrouping on the mesh, as for footage, and a bandwidth below
# the closest part codes of these objects. Codes closer than about 1.5 x the bandwidth chain
# into one cluster: the quadruped's tail segments, 0.058 apart, merge at the default 0.04
# (chosen for noisy generated maps)
EXACT = LiftOptions(refine="none", bandwidth=0.03)


def test_lifting_exact_maps_recovers_vertex_parts():
    from engine.footage.pipeline import FootageOptions

    for seed, cat in ((1, "quadruped"), (2, "spider"), (3, "mech_arm"), (4, "humanoid")):
        o = generate(seed, cat, n_frames=1)
        fid, pc, alpha, bary = _render(o)
        mesh = MeshData(o.frames[0], o.faces)
        res = lift_part_colors(mesh, fid, pc, alpha, bary=bary, options=EXACT)
        assert res.labels.shape == (len(o.vertices),) and res.confidence.shape == (len(o.vertices),)
        assert ari(res.labels, o.vertex_part) > 0.95, cat
        assert len(res.centroids_color) == res.labels.max() + 1
        assert res.vertex_colors.shape == (len(o.vertices), 3)
        assert ((res.confidence >= 0) & (res.confidence <= 1)).all() and np.median(res.confidence) > 0.9, cat
        # without barycentrics (face ids only) it is still close
        assert ari(lift_part_colors(mesh, fid, pc, alpha, options=EXACT).labels, o.vertex_part) > 0.9, cat
        # the footage path's options: only parts with close codes merge
        default = lift_part_colors(mesh, fid, pc, alpha, bary=bary, options=FootageOptions().lift)
        assert ari(default.labels, o.vertex_part) > 0.9, cat


def test_lifting_on_a_seam_split_mesh_welds_first():
    """glTF-style input: every face has its own three vertices (no shared vertices)."""
    o = generate(1, "quadruped", n_frames=1)
    fid, pc, alpha, bary = _render(o)
    split = MeshData(o.frames[0][o.faces].reshape(-1, 3), np.arange(3 * len(o.faces)).reshape(-1, 3))
    res = lift_part_colors(split, fid, pc, alpha, bary=bary, options=EXACT)
    gt = o.vertex_part[o.faces].reshape(-1)
    assert ari(res.labels, gt) > 0.95
    # copies of one welded vertex get one label: every original vertex's copies agree
    same = o.faces.reshape(-1)  # original vertex of each split copy
    lo = np.full(len(o.vertices), np.iinfo(np.int64).max)
    hi = np.full(len(o.vertices), -1)
    np.minimum.at(lo, same, res.labels)
    np.maximum.at(hi, same, res.labels)
    used = np.unique(same)
    assert (np.bincount(same)[used] > 1).mean() > 0.9  # most vertices really were split
    assert (lo[used] == hi[used]).all()


def test_parts_are_connected_on_the_mesh():
    from scipy.sparse.csgraph import connected_components

    from engine.mesh import clean_mesh, vertex_adjacency
    o = generate(2, "spider", n_frames=1)
    fid, pc, alpha, bary = _render(o)
    res = lift_part_colors(MeshData(o.frames[0], o.faces), fid, pc, alpha, bary=bary, options=EXACT)
    cm = clean_mesh(MeshData(o.frames[0], o.faces))
    lab = res.labels[np.argsort(cm.vertex_map)][np.searchsorted(np.sort(cm.vertex_map), np.arange(cm.mesh.n_vertices))]
    A = vertex_adjacency(cm.mesh.n_vertices, cm.mesh.faces).tocoo()
    keep = lab[A.row] == lab[A.col]
    import scipy.sparse as sp
    G = sp.coo_matrix((np.ones(keep.sum()), (A.row[keep], A.col[keep])), shape=A.shape)
    nc, comp = connected_components(G, directed=False)
    # within a shell, every extra piece of a label holds >= 20% of that label there
    # (stray fragments were merged into neighbours)
    size = np.bincount(comp)
    key = lab * (cm.shell_ids.max() + 1) + cm.shell_ids
    c_key = np.zeros(nc, np.int64)
    c_key[comp] = key
    tot = np.bincount(c_key, weights=size)
    share = size / tot[c_key]
    largest = np.zeros(nc, bool)
    for k in np.unique(c_key):
        m = np.flatnonzero(c_key == k)
        largest[m[np.argmax(size[m])]] = True
    assert (largest | (share >= 0.2)).all()


def _true_views(seed: int, category: str):
    """A procedural object, its mesh and its true part renders (numpy, batch row 0) in the
    model's 8 cameras at 96 px."""
    from engine.models.raster import default_cameras
    from engine.models.views import MeshPool, render_views

    az, el = default_cameras(8)
    o = generate(seed, category, n_frames=1)
    mesh = MeshData(o.frames[0], o.faces)
    pool = MeshPool.from_arrays([(mesh.vertices, mesh.faces, o.vertex_part)])
    return o, mesh, {k: t[0].numpy() for k, t in render_views(pool, az[None], el[None], 96).items()}


def test_true_part_maps_survive_the_mesh_refinement():
    """The model's path (8 views, 96 px, per-vertex colours + refinement) keeps true part
    maps nearly intact; crease snapping cut smooth tubes (snake, tree) across their parts."""
    scores = {"mesh": [], "creases": []}
    for seed, cat in ((5, "snake"), (7, "tree"), (8, "humanoid")):
        o, mesh, v = _true_views(seed, cat)
        part = ((v["part"] + 1) / 2).clip(0, 1)
        for rf in scores:
            lab = lift_part_colors(mesh, v["face"], part, v["alpha"][..., 0], bary=v["bary"],
                                   options=LiftOptions(refine=rf)).labels
            assert lab.shape == (mesh.n_vertices,) and lab.min() == 0
            scores[rf].append(ari(lab, o.vertex_part))
        assert scores["mesh"][-1] > 0.9, (cat, scores)
    assert np.mean(scores["mesh"]) > np.mean(scores["creases"]) + 0.1, scores


def test_barycentric_weights_undo_the_nearest_corner_rendering():
    """Pixels take the part colour of their face's nearest corner; weighting each pixel
    towards that corner (bary^p) recovers the true vertex colours more often than counting
    it for all three corners."""
    from engine.models.views import pack_mesh

    gain = []
    for seed, cat in ((5, "snake"), (7, "tree"), (8, "humanoid")):
        o, mesh, v = _true_views(seed, cat)
        assert v["bary"].shape == v["part"].shape and np.allclose(v["bary"].sum(-1)[v["face"] >= 0], 1, atol=1e-4)
        part = ((v["part"] + 1) / 2).clip(0, 1)
        true = pack_mesh(mesh.vertices, mesh.faces, o.vertex_part).color
        seen = np.zeros(mesh.n_vertices, bool)
        seen[np.unique(mesh.faces[v["face"][v["face"] >= 0]])] = True
        hit = []
        for p in (0.0, LiftOptions.sharpness):
            col = lift_part_colors(mesh, v["face"], part, v["alpha"][..., 0], bary=v["bary"],
                                   options=LiftOptions(sharpness=p, refine="none")).vertex_colors
            hit.append((np.linalg.norm(col - true, axis=1)[seen] < 0.02).mean())
        gain.append(hit[1] - hit[0])
    assert min(gain) > 0 and np.mean(gain) > 0.01, gain


def test_a_separate_piece_coloured_unlike_its_part_splits_off():
    from engine.parts.lift import _split_shells

    rng = np.random.default_rng(0)
    shells = np.repeat([0, 1, 2], [40, 30, 2])          # two pieces and a 2-vertex speck
    colours = np.array([[0.30, 0.50, 0.50], [0.33, 0.50, 0.50], [0.9, 0.1, 0.1]])[shells]
    colours = colours + rng.normal(0, 0.003, colours.shape)   # per-vertex noise, averaged away
    labels = np.zeros(len(shells), np.int64)                   # the clustering merged them all
    split = _split_shells(labels, colours, shells, gap=0.02, min_vertices=3)
    assert len(np.unique(split[shells == 0])) == 1 and len(np.unique(split[shells == 1])) == 1
    assert split[shells == 0][0] != split[shells == 1][0]      # 0.03 apart: two parts
    assert split[shells == 2][0] == split[shells == 0][0] or split[shells == 2][0] == split[shells == 1][0]
    assert split.max() == 1                                    # the speck never splits
    kept = _split_shells(labels, colours, shells, gap=0.05, min_vertices=3)
    assert kept.max() == 0                                     # within the gap: one part
