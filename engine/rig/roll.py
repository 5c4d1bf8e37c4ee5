"""Bone roll in Blender's convention.

Blender orients a bone by the rotation that takes +Y onto the bone direction
(``vec_roll_to_mat3_normalized`` in ``armature.cc``), then rotates it by ``roll`` about
the bone axis. To make a bone's local Z axis point along a wanted direction we compute
that default frame and measure the angle from its Z axis to the wanted one.
"""

from __future__ import annotations

import numpy as np

_SAFE = 6.1e-3
_CRITICAL = 2.5e-4


def default_z_axes(directions: np.ndarray) -> np.ndarray:
    """Z axes (B, 3) of Blender's roll-0 bone frames for unit bone directions (B, 3)."""
    x, y, z = directions[:, 0], directions[:, 1], directions[:, 2]
    theta = 1.0 + y
    theta_alt = x * x + z * z
    regular = (theta > _SAFE) | (theta_alt > _CRITICAL ** 2)
    theta = np.where(theta <= _SAFE, 0.5 * theta_alt + 0.125 * theta_alt * theta_alt, theta)
    theta = np.where(regular, theta, 1.0)
    za = np.stack([-x * z / theta, -z, 1.0 - z * z / theta], axis=1)
    # bone pointing straight down -Y: Blender uses diag(-1, -1, 1)
    za[~regular] = (0.0, 0.0, 1.0)
    return za


def rolls_towards(heads: np.ndarray, tails: np.ndarray, wanted_z: np.ndarray) -> np.ndarray:
    """Rolls (B,) in radians so that each bone's local Z axis points along the component
    of ``wanted_z`` (B, 3) perpendicular to the bone. Zero-length bones get 0."""
    d = tails - heads
    ln = np.linalg.norm(d, axis=1)
    ok = ln > 0
    d = np.where(ok[:, None], d / np.where(ok, ln, 1.0)[:, None], (0.0, 1.0, 0.0))
    z0 = default_z_axes(d)
    w = wanted_z - (wanted_z * d).sum(1, keepdims=True) * d
    roll = np.arctan2((np.cross(z0, w) * d).sum(1), (z0 * w).sum(1))
    return np.where(ok & (np.linalg.norm(w, axis=1) > 1e-12), roll, 0.0)


def consistent_rolls(heads: np.ndarray, tails: np.ndarray, up: np.ndarray,
                     forward: np.ndarray) -> np.ndarray:
    """One roll convention for the whole rig: local Z towards ``forward`` (the facing
    direction; knees and elbows bend about local X), or towards ``up`` for bones nearly
    parallel to ``forward`` (tails, snouts). When ``up`` and ``forward`` lie in the
    symmetry plane, mirrored bones get mirrored rolls. heads, tails (B, 3); up, forward
    (3,) unit vectors. Returns (B,) radians."""
    d = tails - heads
    d = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-300)
    along = np.abs(d @ forward) > 0.9
    wanted = np.where(along[:, None], up[None, :], forward[None, :])
    return rolls_towards(heads, tails, wanted)
