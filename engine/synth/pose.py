"""Random articulation: forward kinematics over the bone tree and linear blend skinning.

Kept inside engine/synth (independent of engine/skin) so data generation has no
dependency on the skinning stage it trains.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation


def forward_kinematics(heads: np.ndarray, tails: np.ndarray, parents: np.ndarray,
                       rotvecs: np.ndarray, root_offset: np.ndarray | None = None):
    """Pose a skeleton by rotating every bone about its head.

    heads, tails (B,3) rest joints; parents (B,) with parents before children;
    rotvecs (B,3) axis-angle (radians) of each joint's rotation in world rest axes.
    Returns (R (B,3,3) global rotations, posed heads (B,3), posed tails (B,3)); a rest
    point x rigidly attached to bone b moves to ``R_b (x - head_b) + head'_b``.
    """
    n = len(heads)
    Q = Rotation.from_rotvec(rotvecs).as_matrix()
    R = np.empty((n, 3, 3))
    H = np.empty((n, 3))
    off = np.zeros(3) if root_offset is None else root_offset
    for b in range(n):  # loop over bones (tens), not vertices
        p = parents[b]
        if p < 0:
            R[b] = Q[b]
            H[b] = heads[b] + off
        else:
            R[b] = R[p] @ Q[b]
            H[b] = R[p] @ (heads[b] - heads[p]) + H[p]
    T = np.einsum("bij,bj->bi", R, tails - heads) + H
    return R, H, T


def lbs(verts: np.ndarray, idx: np.ndarray, w: np.ndarray, R: np.ndarray, heads: np.ndarray,
        posed_heads: np.ndarray) -> np.ndarray:
    """Linear blend skinning. verts (N,3); idx/w (N,K) top-K influences (-1 = none);
    R (B,3,3), heads/posed_heads (B,3). Returns (N,3) posed positions."""
    safe = np.maximum(idx, 0)
    local = verts[:, None, :] - heads[safe]                       # (N,K,3)
    moved = np.einsum("nkij,nkj->nki", R[safe], local) + posed_heads[safe]
    return (moved * (w * (idx >= 0))[..., None]).sum(axis=1)


def random_rotvecs(rng: np.random.Generator, heads, tails, pose_std: np.ndarray) -> np.ndarray:
    """(B,3) random joint rotations: mostly about the bone's bend axes (perpendicular to
    the bone), with a little twist, angle ~ N(0, pose_std)."""
    d = tails - heads
    d = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
    axis = rng.normal(size=d.shape)
    axis -= 0.8 * (axis * d).sum(1, keepdims=True) * d   # damp twist about the bone
    axis /= np.maximum(np.linalg.norm(axis, axis=1, keepdims=True), 1e-9)
    ang = rng.normal(size=len(d)) * pose_std
    return axis * ang[:, None]


def animate(rng: np.random.Generator, heads, tails, parents, pose_std, n_frames: int,
            rest_first: float = 0.3, scale: float = 1.0):
    """Rotation vectors (T,B,3) of a smooth random motion: start pose (the rest pose
    with probability ``rest_first``) interpolated to an end pose, plus a small root drift."""
    std = np.asarray(pose_std) * scale
    a = np.zeros((len(heads), 3)) if rng.random() < rest_first else random_rotvecs(rng, heads, tails, std)
    c = random_rotvecs(rng, heads, tails, std)
    s = np.linspace(0.0, 1.0, n_frames)[:, None, None] if n_frames > 1 else np.zeros((1, 1, 1))
    s = 0.5 - 0.5 * np.cos(np.pi * s)  # ease in/out
    return a[None] * (1 - s) + c[None] * s
