"""The map of the Americas: country shapes shipped with Puente (americas.json), never fetched at run time.

The shapes are Natural Earth's 1:50m admin-0 countries (public domain), as the world-atlas package
(ISC licence, https://github.com/topojson/world-atlas) ships them in TopoJSON, projected once into
SVG paths. To make them again: `npm pack world-atlas@2.0.2`, unpack, then
`.venv/bin/python -m puente.server.web.americas package/countries-50m.json`.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pycountry

from puente.services.vocabularies import countries

SHAPES = Path(__file__).parent / "americas.json"
# A polygon belongs to the map when the middle of its bounding box lies here (longitude, latitude).
WEST, EAST, SOUTH, NORTH = -170.0, -25.0, -57.0, 84.0
WIDTH = 600.0


def _overseas(code: str, latitude: float) -> str:
    """Parts of a European country that lie in the Americas, by the ISO code they have there."""
    if code == "FR":
        return "GF" if latitude < 8 else "GP" if latitude > 15.5 else "MQ"
    return "BQ" if code == "NL" else code


AMERICAS = frozenset(countries.OAS_MEMBER_STATES + countries.AMERICAS_TERRITORIES)
# Simplification: points closer than this to the last one kept are dropped, islands smaller than this
# area are left out (unless they are all a country has), both in SVG units of a map WIDTH wide.
NEAR = 1.2
SPECK = 4.0


@dataclass(frozen=True, slots=True)
class Shape:
    code: str
    name: str
    path: str
    x: float  # where links to the country start: the centre of its largest polygon
    y: float
    small: bool


@dataclass(frozen=True, slots=True)
class Americas:
    view_box: str
    shapes: dict[str, Shape]


@cache
def americas() -> Americas:
    data = json.loads(SHAPES.read_text(encoding="utf-8"))
    shapes = {code: Shape(code, **shape) for code, shape in data["shapes"].items()}
    return Americas(data["viewBox"], shapes)


# -- making americas.json from world-atlas (run once, by a person) ------------------------------


def _arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def _project(lon: float, lat: float) -> tuple[float, float]:
    scale = WIDTH / ((EAST - WEST) * math.cos(math.radians(15)))
    return (lon - WEST) * math.cos(math.radians(15)) * scale, (NORTH - lat) * scale


def _area_and_centre(ring: list[tuple[float, float]]) -> tuple[float, float, float]:
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-9:
        return 0.0, ring[0][0], ring[0][1]
    return abs(area / 2), cx / (3 * area), cy / (3 * area)


def _path(ring: list[tuple[float, float]]) -> str:
    kept: list[tuple[float, float]] = []
    for x, y in ring:
        if not kept or math.dist(kept[-1], (x, y)) >= NEAR:
            kept.append((x, y))
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in kept) + "Z" if len(kept) > 2 else ""


def make(topology_file: Path) -> dict[str, Any]:
    topology = json.loads(topology_file.read_text(encoding="utf-8"))
    arcs = _arcs(topology)
    shapes: dict[str, dict[str, Any]] = {}
    found: dict[str, tuple[list[str], list[float], list[str]]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        country = pycountry.countries.get(numeric=geometry.get("id", ""))
        if country is None:
            continue
        polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry.get("arcs", [])
        for polygon in polygons:
            rings = [_ring(arcs, ring) for ring in polygon]
            lons = [lon for lon, _ in rings[0]]
            lats = [lat for _, lat in rings[0]]
            middle = ((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)
            code = _overseas(country.alpha_2, middle[1])
            if code not in AMERICAS or not (WEST <= middle[0] <= EAST and SOUTH <= middle[1] <= NORTH):
                continue
            parts, largest, specks = found.setdefault(code, ([], [0.0, 0.0, 0.0], []))
            projected = [[_project(lon, lat) for lon, lat in ring] for ring in rings]
            measured = _area_and_centre(projected[0])
            if measured[0] > largest[0]:
                largest[:] = measured
            if measured[0] < SPECK:
                specks.append(_path(projected[0]))
                continue
            parts += [_path(ring) for ring in projected]
    for code, (parts, largest, specks) in found.items():
        drawn = [part for part in parts if part] or [speck for speck in specks if speck]
        shapes[code] = {
            "name": pycountry.countries.lookup(code).name,
            "path": "".join(drawn),
            "x": round(largest[1], 1),
            "y": round(largest[2], 1),
            # Too small to point at: the page marks it with a dot as well.
            "small": largest[0] < SPECK,
        }
    _, bottom = _project(WEST, SOUTH)
    return {
        "source": "Natural Earth 1:50m admin-0 countries (public domain), via world-atlas 2.0.2 (ISC)",
        "viewBox": f"0 0 {WIDTH:.0f} {bottom:.0f}",
        "shapes": dict(sorted(shapes.items())),
    }


if __name__ == "__main__":
    SHAPES.write_text(json.dumps(make(Path(sys.argv[1])), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {SHAPES} ({SHAPES.stat().st_size} bytes)")
