"""Motion-aware joints: where the generated frames show parts moving against each other,
put the joint at the observed pivot.

Per frame t, the generated views give a labelled point cloud of every part: the surface
voxels of that frame's visual hull, each labelled by a vote over the views' part maps
(part colours decode to the same labels in every frame: the colour code is a 3D position
fixed at the first frame). From a part's cloud we take two points rigidly attached to it:
its centroid and a point along its principal axis (sign kept consistent with frame 0).

For a child part c of parent p, both points, taken relative to the parent's centroid,
move on spheres around the joint if the joint is a pivot (a ball joint): with
x_jt = point j of c at frame t minus centroid of p at frame t,

    |x_jt - q|^2 = r_j^2   <=>   2 x_jt . q + s_j = |x_jt|^2,   s_j = r_j^2 - |q|^2,

linear least squares in (q, s_1, s_2) over the T frames, Tikhonov-regularised toward
the part-interface joint (two points on four frames constrain a 3D pivot only weakly).
The pivot is used when the child moved enough, the fit is good and it lies near the
interface; otherwise the interface joint stays (the fallback). The parent is assumed not
to rotate much between frames (only its translation is removed): a documented
limitation, see docs/footage.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cameras import OrthoCameras
from .reconstruct import hull_field, grid_points


@dataclass
class PartMotion:
    """Observed motion of the parts over T frames (normalised frame of each frame).

    centers: (T, P, 3) part centroids (NaN where a part was not seen in that frame).
    axes_pts: (T, P, 3) a second point per part along its principal axis.
    sizes: (P,) part extent (2 x RMS distance to the centroid along its axis) at frame 0.
    """

    centers: np.ndarray
    axes_pts: np.ndarray
    sizes: np.ndarray


@dataclass
class PivotEstimate:
    """Joint of ``child`` with ``parent``: pivot (3,) in frame-0 coordinates, whether it
    was used (else the interface joint stands), motion (largest displacement of the child
    relative to its parent, normalised units), residual (RMS of the sphere fit) and why."""

    parent: int
    child: int
    pivot: np.ndarray
    used: bool
    motion: float
    residual: float
    reason: str = ""


@dataclass
class MotionRig:
    """What the motion stage did: per-joint estimates and the joints moved."""

    estimates: list[PivotEstimate] = field(default_factory=list)

    @property
    def n_moved(self) -> int:
        return sum(e.used for e in self.estimates)


def label_maps(part_maps: np.ndarray, alphas: np.ndarray, colors: np.ndarray, max_dist: float = 0.2) -> np.ndarray:
    """Per-pixel part label by nearest part colour. part_maps (..., S, S, 3) in [0, 1];
    alphas (..., S, S); colors (P, 3) decoded part colours -> (..., S, S) int (-1 = none)."""
    pm = np.asarray(part_maps, np.float32)
    d = np.linalg.norm(pm[..., None, :] - np.asarray(colors, np.float32), axis=-1)   # (..., P)
    lab = d.argmin(-1)
    ok = (np.asarray(alphas) > 0.5) & (d.min(-1) < max_dist)
    return np.where(ok, lab, -1)


def labelled_surface(labels: np.ndarray, alphas: np.ndarray, cameras: OrthoCameras, n_parts: int,
                     resolution: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """One frame: surface voxels of its visual hull and their part (vote over views).

    labels (V, S, S) int; alphas (V, S, S). Returns (points (M, 3), part (M,) int, -1 = no vote)."""
    from scipy.ndimage import binary_erosion

    field, _ = hull_field(alphas, cameras, resolution)
    inside = field > 0.5
    surf = inside & ~binary_erosion(inside)
    pts, _ = grid_points(resolution)
    pts = pts[surf.ravel()]
    if len(pts) == 0:
        return pts, np.zeros(0, np.int64)
    px, _ = cameras.project(pts)
    S = cameras.size
    xi = np.clip(px[..., 0].astype(np.int64), 0, S - 1)
    yi = np.clip(px[..., 1].astype(np.int64), 0, S - 1)
    lab = labels[np.arange(len(cameras))[:, None], yi, xi]           # (V, M)
    votes = np.zeros((len(pts), n_parts + 1))
    np.add.at(votes, (np.broadcast_to(np.arange(len(pts)), lab.shape), lab + 1), 1.0)
    votes[:, 0] = 0  # background votes do not count
    part = np.where(votes.max(1) > 0, votes.argmax(1) - 1, -1)
    return pts, part


def part_motion(part_maps: np.ndarray, alphas: np.ndarray, colors: np.ndarray, cameras: OrthoCameras,
                resolution: int = 40, min_points: int = 8) -> PartMotion:
    """Part centroids and axis points over T frames from generated part maps.

    part_maps (T, V, S, S, 3) in [0, 1]; alphas (T, V, S, S); colors (P, 3) decoded colour
    of each part (the lifting's ``centroids_color``)."""
    T, P = len(part_maps), len(colors)
    labels = label_maps(part_maps, alphas, colors)
    centers = np.full((T, P, 3), np.nan)
    axes_pts = np.full((T, P, 3), np.nan)
    sizes = np.zeros(P)
    ref_axis = np.zeros((P, 3))
    for t in range(T):
        pts, part = labelled_surface(labels[t], alphas[t], cameras, P, resolution)
        for k in range(P):  # loop over parts (a handful)
            q = pts[part == k]
            if len(q) < min_points:
                continue
            c = q.mean(0)
            _, s, vt = np.linalg.svd(q - c, full_matrices=False)
            a = vt[0]
            if t == 0 or not ref_axis[k].any():
                ref_axis[k] = a
                sizes[k] = 2 * s[0] / np.sqrt(len(q))
            elif a @ ref_axis[k] < 0:  # SVD's sign is arbitrary: keep it consistent
                a = -a
            centers[t, k] = c
            axes_pts[t, k] = c + 0.5 * max(sizes[k], 1e-3) * a
    return PartMotion(centers, axes_pts, sizes)


def align_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(3, 3) smallest rotation turning direction ``a`` onto direction ``b`` (Rodrigues)."""
    a = a / max(np.linalg.norm(a), 1e-12)
    b = b / max(np.linalg.norm(b), 1e-12)
    v, c = np.cross(a, b), float(a @ b)
    if c < -1 + 1e-9:  # opposite: any half turn (cannot happen with consistent signs)
        return -np.eye(3)
    K = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + K + K @ K / (1 + c)


def fit_pivot(rel_points: np.ndarray, prior: np.ndarray, reg: float = 0.05) -> tuple[np.ndarray, float]:
    """Least-squares centre of spheres through point tracks.

    rel_points: (J, T, 3) J point tracks over T frames (relative to the parent);
    prior: (3,) where the pivot is expected (regularisation target, weight ``reg``).
    Returns (pivot (3,), RMS radial residual)."""
    J, T, _ = rel_points.shape
    rows, rhs = [], []
    for j in range(J):
        x = rel_points[j]
        block = np.zeros((T, 3 + J))
        block[:, :3] = 2 * x
        block[:, 3 + j] = 1.0
        rows.append(block)
        rhs.append((x ** 2).sum(1))
    A, b = np.concatenate(rows), np.concatenate(rhs)
    # the prior enters in the same (squared-distance) units as the sphere equations
    scale = np.sqrt(reg) * max(np.abs(A[:, :3]).max(), 1e-6)
    R = np.zeros((3, 3 + J))
    R[:, :3] = np.eye(3) * scale
    sol, *_ = np.linalg.lstsq(np.vstack([A, R]), np.r_[b, scale * prior], rcond=None)
    q = sol[:3]
    radii = np.linalg.norm(rel_points - q, axis=-1)                 # (J, T)
    res = float(np.sqrt(((radii - radii.mean(1, keepdims=True)) ** 2).mean()))
    return q, res


def estimate_pivots(motion: PartMotion, parent_of: np.ndarray, interface: np.ndarray,
                    min_motion: float = 0.05, max_residual: float = 0.015, max_shift: float = 0.06) -> MotionRig:
    """Pivot of every (parent, child) part pair that moved.

    parent_of: (P,) parent part of each part (-1 root); interface: (P, 3) the joint of each
    part with its parent from the part interfaces (frame-0, normalised frame).
    A pivot is used when the child moved more than ``min_motion`` relative to its parent,
    the sphere fit's residual is below ``max_residual`` and the pivot is within
    ``max_shift`` of the interface joint (all normalised units)."""
    rig = MotionRig()
    C, A = motion.centers, motion.axes_pts
    for k, p in enumerate(parent_of):
        if p < 0:
            continue
        ok = np.isfinite(C[:, k]).all(1) & np.isfinite(C[:, p]).all(1)
        if ok.sum() < 3 or not ok[0]:
            rig.estimates.append(PivotEstimate(int(p), k, interface[k], False, 0.0, np.inf, "part not seen in enough frames"))
            continue
        # undo the parent's swing (the turn of its principal axis since frame 0; its
        # twist about that axis is unobservable from two points)
        ap = A[ok, p] - C[ok, p]
        Rb = np.stack([align_rotation(a, ap[0]) for a in ap])             # (T', 3, 3)
        rel = np.stack([np.einsum("tij,tj->ti", Rb, C[ok, k] - C[ok, p]),
                        np.einsum("tij,tj->ti", Rb, A[ok, k] - C[ok, p])])  # (2, T', 3)
        mov = float(np.linalg.norm(rel - rel[:, :1], axis=-1).max())
        prior = interface[k] - C[0, p]
        q, res = fit_pivot(rel, prior)
        pivot = q + C[0, p]
        shift = float(np.linalg.norm(pivot - interface[k]))
        if mov < min_motion:
            why, used = f"moved {mov:.3f} < {min_motion}", False
        elif res > max_residual:
            why, used = f"not a rotation about a point (residual {res:.3f})", False
        elif shift > max_shift:
            why, used = f"pivot {shift:.3f} from the interface", False
        else:
            why, used = "observed pivot", True
        rig.estimates.append(PivotEstimate(int(p), k, pivot if used else interface[k], used, mov, res, why))
    return rig


def move_joints(skeleton, part_to_bone: np.ndarray, estimates: list[PivotEstimate], to_world=None) -> int:
    """Move the head of each child part's first bone (and the tail of the parent bone
    that ended there) to the observed pivot. ``to_world`` maps normalised points into the
    skeleton's space. Returns how many joints moved. Edits ``skeleton`` in place."""
    moved = 0
    for e in estimates:
        if not e.used:
            continue
        b = int(part_to_bone[e.child])
        new = e.pivot if to_world is None else to_world(e.pivot[None])[0]
        old = skeleton.heads[b].copy()
        pb = skeleton.parents[b]
        if pb >= 0 and np.linalg.norm(skeleton.tails[pb] - old) < 1e-9:
            skeleton.tails[pb] = new
        skeleton.heads[b] = new
        if np.linalg.norm(skeleton.tails[b] - new) < 1e-6:  # keep a non-zero bone
            skeleton.tails[b] = new + (skeleton.tails[b] - old)
        moved += 1
    return moved
