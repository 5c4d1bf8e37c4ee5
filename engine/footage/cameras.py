"""The orthographic cameras of SP4D's generated views, as numpy (no torch needed).

Same convention as ``engine.models.raster`` (the model's training renders): Z up, object
normalised to a unit cube centred at the origin, orthographic view of half-width
``EXTENT``; azimuth 0 looks at the object's front from -Y, positive azimuth turns the
camera counter-clockwise seen from above; elevation positive from above. Pixel (x, y):
x right, y down, origin at the top-left corner, pixel centres at integer + 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..runtime.conditioning import EXTENT


@dataclass
class OrthoCameras:
    """V orthographic cameras looking at the origin.

    azimuth, elevation: (V,) radians; size: image side in pixels; extent: view half-width
    in normalised units."""

    azimuth: np.ndarray
    elevation: np.ndarray
    size: int
    extent: float = EXTENT

    def __post_init__(self):
        self.azimuth = np.asarray(self.azimuth, np.float64).reshape(-1)
        self.elevation = np.broadcast_to(np.asarray(self.elevation, np.float64).reshape(-1),
                                         self.azimuth.shape).copy()

    def __len__(self) -> int:
        return len(self.azimuth)

    @classmethod
    def orbit(cls, n_views: int, size: int, azimuth0_deg: float = 0.0, elevation_deg: float = 15.0):
        """n_views cameras evenly around the object starting at ``azimuth0_deg`` (view 0)."""
        az = np.radians(azimuth0_deg) + np.arange(n_views) * (2 * np.pi / n_views)
        return cls(az, np.full(n_views, np.radians(elevation_deg)), size)

    def frames(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(d, r, u) each (V, 3): unit direction to the camera, screen right, screen up."""
        ca, sa = np.cos(self.azimuth), np.sin(self.azimuth)
        ce, se = np.cos(self.elevation), np.sin(self.elevation)
        d = np.stack([ce * sa, -ce * ca, se], -1)
        r = np.stack([ca, sa, np.zeros_like(ca)], -1)
        return d, r, np.cross(d, r)

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """points (N, 3) -> (pixel xy (V, N, 2) float, depth toward the camera (V, N))."""
        d, r, u = self.frames()
        p = np.asarray(points, np.float64)
        half = self.size / 2.0
        x = (p @ r.T / self.extent + 1) * half
        y = (1 - p @ u.T / self.extent) * half
        return np.stack([x.T, y.T], -1), (p @ d.T).T

    def to_dict(self) -> dict:
        return {"azimuth_deg": np.degrees(self.azimuth).tolist(),
                "elevation_deg": np.degrees(self.elevation).tolist(),
                "size": int(self.size), "extent": float(self.extent), "projection": "orthographic"}
