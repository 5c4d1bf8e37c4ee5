"""Torch triangle rasteriser: geometry against analytic shapes and against projection."""

import numpy as np
import torch

from engine.render import Cameras, orbit_cameras, render_batch, render_mesh
from engine.synth import generate
from engine.synth.primitives import unit_box, uv_sphere


def test_cameras_orbit_and_json_roundtrip():
    c = orbit_cameras(12, elevation_deg=20, fov_deg=40, image_size=(64, 96))
    np.testing.assert_allclose(np.diff(c.azimuth_deg), 30.0)
    c2 = Cameras.from_json(c.to_json())
    np.testing.assert_allclose(c2.view, c.view)
    np.testing.assert_allclose(c2.proj, c.proj)
    # the origin projects to the image centre in every view
    px, depth = c.project(np.zeros((1, 3)))
    np.testing.assert_allclose(px[:, 0], [[48, 32]] * 12, atol=1e-9)
    np.testing.assert_allclose(depth[:, 0], c.distance)


def test_sphere_silhouette_and_depth_match_analytic():
    v, f = uv_sphere(48, 96)
    r = 0.4
    cams = orbit_cameras(4, elevation_deg=15, image_size=96)
    out = render_mesh(v * r, f, cams)
    alpha = out["alpha"][:, 0, 0].numpy() > 0.5
    # analytic silhouette: pixel rays hitting the sphere
    H = W = 96
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    t = np.tan(np.radians(cams.fov_deg[0]) / 2)
    dx, dy = (xs / W * 2 - 1) * t, (1 - ys / H * 2) * t
    d = cams.distance[0]
    # ray o=(0,0,d) dir=(dx,dy,-1) in camera space; sphere at origin
    a = dx ** 2 + dy ** 2 + 1
    disc = d ** 2 - a * (d ** 2 - r ** 2)
    hit = disc > 0
    for k in range(4):
        iou = (alpha[k] & hit).sum() / (alpha[k] | hit).sum()
        assert iou > 0.97
    depth = out["depth"][0, 0, 0].numpy()
    zhit = (d - np.sqrt(np.maximum(disc, 0)) / a * 1) / 1  # parametric t along (dx,dy,-1): depth = t
    tt = (d - np.sqrt(np.maximum(disc, 0))) / a
    both = hit & alpha[0]
    np.testing.assert_allclose(depth[both], tt[both], atol=0.02)  # polygonal sphere
    assert zhit.shape == depth.shape


def _visible_vertices_land_on_their_faces(verts, faces, cams):
    out = render_mesh(verts, faces, cams)
    fid = out["face_ids"][:, 0, 0].numpy()
    depth = out["depth"][:, 0, 0].numpy()
    px, vd = cams.project(verts)
    H, W = cams.image_size
    incident = [set() for _ in range(len(verts))]
    for i, fc in enumerate(faces):
        for x in fc:
            incident[x].add(i)
    checked = 0
    for v in range(len(cams)):
        ix, iy = np.floor(px[v, :, 0]).astype(int), np.floor(px[v, :, 1]).astype(int)
        inside = (ix >= 1) & (iy >= 1) & (ix < W - 1) & (iy < H - 1)
        for n in np.flatnonzero(inside):
            # visible: the z-buffer depth there is the vertex's own depth
            if fid[v, iy[n], ix[n]] < 0 or abs(depth[v, iy[n], ix[n]] - vd[v, n]) > 2e-3:
                continue
            assert fid[v, iy[n], ix[n]] in incident[n], (v, n)
            checked += 1
    return checked


def test_projected_vertices_hit_a_face_containing_them():
    v, f = uv_sphere(10, 16)
    n = _visible_vertices_land_on_their_faces(v * 0.4, f, orbit_cameras(12, image_size=128))
    assert n > 150
    bv, bf = unit_box(3)
    n = _visible_vertices_land_on_their_faces(bv * np.array([0.3, 0.2, 0.1]), bf,
                                              orbit_cameras(12, elevation_deg=30, image_size=128))
    assert n > 100


def test_render_batch_shapes_and_part_maps():
    objs = [generate(s, n_frames=2) for s in (1, 2)]
    cams = orbit_cameras(3, image_size=48)
    out = render_batch(objs, cams, "cpu", return_bary=True)
    for k, c in dict(rgb=3, alpha=1, normals=3, depth=1, face_ids=1, part_ids=1, part_colors=3, bary=3).items():
        assert out[k].shape == (2, 3, 2, c, 48, 48), k
    for b, o in enumerate(objs):
        pid, fid = out["part_ids"][b, :, :, 0], out["face_ids"][b, :, :, 0]
        fg = out["alpha"][b, :, :, 0] > 0
        assert ((pid >= 0) == fg).all() and ((fid >= 0) == fg).all() and fg.any()
        # part colour of each pixel is the colour code of its part id
        pc = out["part_colors"][b].permute(0, 1, 3, 4, 2)[fg]
        np.testing.assert_allclose(pc.numpy(), o.part_colors[pid[fg].numpy()], atol=1e-6)
        # the pixel's part is the part of one of its face's vertices
        verts_parts = o.vertex_part[o.faces[fid[fg].numpy()]]
        assert (verts_parts == pid[fg].numpy()[:, None]).any(1).all()
        n = out["normals"][b].permute(0, 1, 3, 4, 2)[fg]
        torch.testing.assert_close(n.norm(dim=-1), torch.ones(len(n)), atol=1e-4, rtol=0)
    assert (out["rgb"] >= 0).all() and (out["rgb"] <= 1).all()
    # views differ, frames differ
    assert not torch.equal(out["alpha"][0, 0], out["alpha"][0, 1])
    assert not torch.equal(out["depth"][0, 0, 0], out["depth"][0, 0, 1])


def test_big_and_tiny_triangles_together():
    """A 2-triangle quad filling most of the image next to sub-pixel triangles."""
    quad = np.array([[-0.5, 0, -0.5], [0.5, 0, -0.5], [0.5, 0, 0.5], [-0.5, 0, 0.5]], float)
    qf = np.array([[0, 1, 2], [0, 2, 3]])
    sv, sf = uv_sphere(30, 40)
    verts = np.concatenate([quad, sv * 0.05 + [0, -0.2, 0]])
    faces = np.concatenate([qf, sf + 4])
    out = render_mesh(verts, faces, orbit_cameras(1, elevation_deg=0, image_size=64))
    fid = out["face_ids"][0, 0, 0].numpy()
    assert (fid >= 2).sum() > 20                       # the small sphere in front is visible
    assert ((fid == 0) | (fid == 1)).sum() > 0.3 * 64 * 64
    assert np.isin(fid[32, 32], np.arange(2, len(faces)))  # sphere occludes the quad at the centre
