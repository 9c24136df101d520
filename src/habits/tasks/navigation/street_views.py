"""Views of imported (real) routes from V-IRL's street-view cache, for the visual variant.

The released data (``nyc_1k_routes/`` of the ``tianzhechu/SFTvsRL_Data`` set) ships the cache the
released environment reads in its offline mode:

```
nyc_1k_routes/
  route_infos.json          the routes (task arg ``routes``)
  gps_pano_mapping.pkl      {(latitude, longitude): panorama id}
  street_views/             task arg ``street_view_dir``
    <pano id>.jpg           an equirectangular panorama (360 x 180 degrees; .png also accepted)
    <pano id>.metadata.json {"rotation": degrees, ...}: where north is in the panorama
```

``gps_pano_mapping.pkl`` is looked up in ``street_view_dir`` and then in its parent. A decision
point's place (``geo``, see :mod:`.routes`) goes to the panorama of the nearest mapped place within
:data:`RADIUS_M` metres (the released ``MAPPING_RADIUS``). Column ``x`` of a panorama ``W`` pixels
wide looks toward compass heading ``360 * x / W - rotation`` (the released code's convention); each
view is a 90-degree pinhole crop at pitch 0 toward the agent's heading plus 0, 90, 180 and 270
degrees, laid out as the synthetic renderer does (:data:`.views.LAYOUT`: [front, right / back,
left]). The released environment crops at heading -135, -45, +45 and +135 instead (its
``HEADING_RANGE`` default of 360 centres no view on the heading); habits keeps the paper's layout.

The pickle is read with an unpickler that builds only plain containers, strings and numbers (and
numpy scalars), so a tampered file cannot run code. Every decision point of every route is resolved
to its files when the task is built: a missing mapping, place or image fails then, naming the file.
"""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from habits.io import InputError

RADIUS_M = 20.0  # the released MAPPING_RADIUS: a place farther from every panorama has no view
VIEW_PX = 320  # side of each square view; the grid is twice that
FOV = 90.0
MAPPING = "gps_pano_mapping.pkl"
_CELL = 0.001  # degrees; neighbouring cells cover >= 20 m up to about 79 degrees of latitude
_FIX = "download nyc_1k_routes/ of the SFTvsRL data (tianzhechu/SFTvsRL_Data) and pass its street_views/ folder"


class _PlainUnpickler(pickle.Unpickler):
    """Builds dicts, tuples, lists, strings and numbers only; refuses any other class."""

    _ALLOWED = {("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"), ("numpy", "dtype")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a panorama mapping")


def _mapping_file(folder: Path) -> Path:
    for candidate in (folder / MAPPING, folder.parent / MAPPING):
        if candidate.is_file():
            return candidate
    raise InputError(f"{folder / MAPPING}: no panorama mapping here or in {folder.parent}; "
                     f"street_view_dir must be V-IRL's street_views/ folder with {MAPPING} beside it ({_FIX})")


@lru_cache(maxsize=4)
def _load_mapping(path: str, stamp: float) -> dict[tuple[int, int], list[tuple[float, float, str]]]:
    """Places bucketed by grid cell; ``stamp`` (the file's mtime) renews the cache when the file changes."""
    try:
        with open(path, "rb") as handle:
            raw = _PlainUnpickler(handle).load()
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
        raise InputError(f"{path}: cannot be read as V-IRL's panorama mapping ({exc}); {_FIX}") from None
    if not isinstance(raw, Mapping) or not raw:
        raise InputError(f"{path}: expected a non-empty {{(latitude, longitude): panorama id}} mapping")
    cells: dict[tuple[int, int], list[tuple[float, float, str]]] = {}
    for place, pano in raw.items():
        try:
            lat, lng = float(place[0]), float(place[1])
        except (TypeError, ValueError, IndexError, KeyError):
            raise InputError(f"{path}: key {place!r} is not a (latitude, longitude) pair") from None
        cells.setdefault(_cell(lat, lng), []).append((lat, lng, str(pano)))
    return cells


def _cell(lat: float, lng: float) -> tuple[int, int]:
    return math.floor(lat / _CELL), math.floor(lng / _CELL)


def distance_m(a: Sequence[float], b: Sequence[float]) -> float:
    """Great-circle distance in metres (haversine)."""
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(min(1.0, math.sqrt(h)))


class StreetViews:
    """Panoramas of a street-view cache folder, cropped into the four-view grid."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).expanduser()
        if not self.folder.is_dir():
            raise InputError(f"{self.folder}: street_view_dir is not a folder; {_FIX}")
        mapping = _mapping_file(self.folder)
        self.mapping_path = mapping
        self.cells = _load_mapping(str(mapping), mapping.stat().st_mtime)

    def panorama(self, geo: Sequence[float]) -> str | None:
        """The id of the nearest mapped panorama within :data:`RADIUS_M`, or None."""
        row, col = _cell(geo[0], geo[1])
        best, best_d = None, RADIUS_M
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                for lat, lng, pano in self.cells.get((row + dr, col + dc), ()):
                    d = distance_m(geo, (lat, lng))
                    if d <= best_d:
                        best, best_d = pano, d
        return best

    def files(self, geo: Sequence[float], where: str) -> tuple[Path, Path]:
        """The panorama image and metadata of the place ``geo``; InputError naming what is missing."""
        pano = self.panorama(geo)
        if pano is None:
            raise InputError(f"{where}: no panorama within {RADIUS_M:g} m of {geo[0]}, {geo[1]} in "
                             f"{self.mapping_path}; use the mapping and street_views/ of the same route set")
        image = next((self.folder / f"{pano}{ext}" for ext in (".jpg", ".png") if (self.folder / f"{pano}{ext}")
                      .is_file()), None)
        if image is None:
            raise InputError(f"{where}: street view {self.folder / (pano + '.jpg')} not found; the cache must hold "
                             f"every panorama its mapping names ({_FIX}), or use modality text")
        meta = self.folder / f"{pano}.metadata.json"
        if not meta.is_file():
            raise InputError(f"{where}: {meta} not found; each panorama needs its metadata (its 'rotation')")
        return image, meta

    def check(self, routes: Sequence[Mapping[str, Any]]) -> None:
        """Every decision point of ``routes`` has a place and files (before any training starts)."""
        for route in routes:
            for number, point in enumerate(route["steps"]):
                where = f"{route['route']} step {number}"
                if "geo" not in point:
                    raise InputError(f"{route['route']}: no geocodes (start_place.relocated_geocode and one "
                                     "route_results.geocode_list entry per milestone), which the visual variant "
                                     "needs to find its street views; use modality text for this route file")
                self.files(point["geo"], where)

    def render(self, geo: Sequence[float], heading: float, where: str = "street view") -> Any:
        """The 2x2 grid [front, right / back, left] seen at ``geo`` facing ``heading`` degrees."""
        from PIL import Image

        from habits.tasks.navigation.views import LAYOUT

        image, meta = self.files(geo, where)
        panorama, rotation = _panorama(str(image), str(meta))
        canvas = Image.new("RGB", (2 * VIEW_PX, 2 * VIEW_PX), (0, 0, 0))
        for index, (_, offset) in enumerate(LAYOUT):
            view = crop_view(panorama, rotation, heading + 45.0 * offset)
            canvas.paste(view, ((index % 2) * VIEW_PX, (index // 2) * VIEW_PX))
        return canvas


@lru_cache(maxsize=8)
def _panorama(image: str, meta: str) -> tuple[Any, float]:
    """A decoded panorama (RGB array) and its north rotation; decoding a large JPEG is the slow part."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(image) as opened:
            pixels = np.asarray(opened.convert("RGB"), dtype=np.float32)
    except (OSError, UnidentifiedImageError) as exc:
        raise InputError(f"{image}: cannot be decoded as an image ({exc}); re-download the street-view cache") from None
    try:
        rotation = float(json.loads(Path(meta).read_text(encoding="utf-8"))["rotation"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{meta}: needs a numeric 'rotation' (degrees; {exc})") from None
    return pixels, rotation


def crop_view(panorama: Any, rotation: float, heading: float, size: int = VIEW_PX, fov: float = FOV) -> Any:
    """A ``size`` x ``size`` pinhole view at pitch 0 toward compass ``heading`` (bilinear samples)."""
    import numpy as np
    from PIL import Image

    height, width = panorama.shape[:2]
    focal = 0.5 * size / math.tan(math.radians(fov) / 2)
    centre = (size - 1) / 2.0
    u = (np.arange(size, dtype=np.float64) - centre) / focal  # right of the axis, per unit depth
    v = (np.arange(size, dtype=np.float64) - centre) / focal  # below the axis
    lon = np.degrees(np.arctan2(u, 1.0))[None, :] + heading  # compass heading of each column
    lat = np.arctan2(v[:, None], np.sqrt(1.0 + u[None, :] ** 2))  # down is positive, as image rows run
    x = ((lon + rotation) % 360.0) / 360.0 * width
    y = np.clip((lat / np.pi + 0.5) * height - 0.5, 0, height - 1)
    x = np.broadcast_to(x, y.shape) - 0.5
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    x0, x1 = x0 % width, (x0 + 1) % width  # the panorama wraps around
    y1 = np.minimum(y0 + 1, height - 1)
    top = panorama[y0, x0] * (1 - fx) + panorama[y0, x1] * fx
    bottom = panorama[y1, x0] * (1 - fx) + panorama[y1, x1] * fx
    return Image.fromarray(np.clip(top * (1 - fy) + bottom * fy + 0.5, 0, 255).astype(np.uint8), "RGB")
