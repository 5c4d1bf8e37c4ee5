"""Orbit cameras around an object normalised to the unit cube (Z up, OpenGL conventions).

View matrices map world -> camera space (camera looks down -Z, +Y up); projection
matrices map camera -> clip space (OpenGL perspective, NDC in [-1,1]^3); pixel (u, v) has
its origin at the top-left corner, pixel centres at integer + 0.5.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np


def look_at(eye: np.ndarray, target: np.ndarray, up=(0.0, 0.0, 1.0)) -> np.ndarray:
    """(4,4) world->camera matrix for a camera at ``eye`` looking at ``target``."""
    f = np.asarray(target, float) - np.asarray(eye, float)
    f /= np.linalg.norm(f)
    s = np.cross(f, up)
    if np.linalg.norm(s) < 1e-9:  # looking straight up/down: any side vector
        s = np.cross(f, (0.0, 1.0, 0.0))
    s /= np.linalg.norm(s)
    u = np.cross(s, f)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3] = s, u, -f
    m[:3, 3] = -m[:3, :3] @ np.asarray(eye, float)
    return m


def perspective(fov_deg: float, aspect: float, near: float, far: float) -> np.ndarray:
    """(4,4) OpenGL projection; fov is vertical, in degrees."""
    t = 1.0 / np.tan(np.radians(fov_deg) / 2)
    m = np.zeros((4, 4))
    m[0, 0], m[1, 1] = t / aspect, t
    m[2, 2] = (far + near) / (near - far)
    m[2, 3] = 2 * far * near / (near - far)
    m[3, 2] = -1.0
    return m


@dataclass
class Cameras:
    """V cameras on an orbit around the origin.

    azimuth_deg, elevation_deg, distance, fov_deg: (V,) each (degrees, world units);
    azimuth 0 looks at the object's front (camera on -Y), increasing counter-clockwise
    seen from above; image_size (H, W) pixels; near/far clip distances.
    """

    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    distance: np.ndarray
    fov_deg: np.ndarray
    image_size: tuple[int, int] = (128, 128)
    near: float = 0.1
    far: float = 10.0

    def __post_init__(self):
        v = len(np.atleast_1d(self.azimuth_deg))
        f = lambda a: np.broadcast_to(np.asarray(a, np.float64).reshape(-1), (v,)).copy()
        self.azimuth_deg, self.elevation_deg = f(self.azimuth_deg), f(self.elevation_deg)
        self.distance, self.fov_deg = f(self.distance), f(self.fov_deg)
        self.image_size = (int(self.image_size[0]), int(self.image_size[1]))

    def __len__(self) -> int:
        return len(self.azimuth_deg)

    @property
    def eyes(self) -> np.ndarray:
        """(V,3) camera positions in world space."""
        a, e = np.radians(self.azimuth_deg), np.radians(self.elevation_deg)
        return self.distance[:, None] * np.stack([np.sin(a) * np.cos(e), -np.cos(a) * np.cos(e), np.sin(e)], 1)

    @property
    def view(self) -> np.ndarray:
        """(V,4,4) world->camera matrices."""
        return np.stack([look_at(e, np.zeros(3)) for e in self.eyes])

    @property
    def proj(self) -> np.ndarray:
        """(V,4,4) camera->clip matrices."""
        h, w = self.image_size
        return np.stack([perspective(f, w / h, self.near, self.far) for f in self.fov_deg])

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points (N,3) -> (pixel coords (V,N,2) as (x right, y down), view depth (V,N))."""
        ph = np.concatenate([points, np.ones((len(points), 1))], 1)
        cam = np.einsum("vij,nj->vni", self.view, ph)
        clip = np.einsum("vij,vnj->vni", self.proj, cam)
        ndc = clip[..., :2] / clip[..., 3:4]
        h, w = self.image_size
        px = np.stack([(ndc[..., 0] + 1) * 0.5 * w, (1 - ndc[..., 1]) * 0.5 * h], -1)
        return px, -cam[..., 2]

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("azimuth_deg", "elevation_deg", "distance", "fov_deg"):
            d[k] = [float(x) for x in d[k]]
        d["image_size"] = list(self.image_size)
        d["view"] = self.view.tolist()
        d["proj"] = self.proj.tolist()
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> "Cameras":
        return cls(np.array(d["azimuth_deg"]), np.array(d["elevation_deg"]), np.array(d["distance"]),
                   np.array(d["fov_deg"]), tuple(d["image_size"]), float(d["near"]), float(d["far"]))

    @classmethod
    def from_json(cls, s: str) -> "Cameras":
        return cls.from_dict(json.loads(s))


def orbit_cameras(n_views: int = 12, elevation_deg: float = 10.0, fov_deg: float = 33.8,
                  image_size: int | tuple[int, int] = 128, distance: float | None = None,
                  azimuth_start_deg: float = 0.0, radius: float = 0.6) -> Cameras:
    """n_views cameras, azimuth step 360/n_views (30 deg for 12), all at one elevation.

    distance None: frames a sphere of ``radius`` (the posed unit-cube object) tightly in
    the field of view."""
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    if distance is None:
        distance = radius / np.sin(np.radians(fov_deg) / 2)
    az = azimuth_start_deg + np.arange(n_views) * 360.0 / n_views
    return Cameras(az, elevation_deg, distance, fov_deg, image_size, near=max(0.01, distance - 2.0),
                   far=distance + 2.0)


def random_cameras(rng: np.random.Generator, n_views: int = 12, image_size: int = 128,
                   elevation_range=(-10.0, 35.0), fov_range=(25.0, 45.0)) -> Cameras:
    """Orbit cameras with a random start azimuth, elevation and field of view (training)."""
    return orbit_cameras(n_views, float(rng.uniform(*elevation_range)), float(rng.uniform(*fov_range)), image_size,
                         azimuth_start_deg=float(rng.uniform(0, 360)))
