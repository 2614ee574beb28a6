"""Sentinel-2 MSI band names, indices and resolutions (shared constants).

``BAND_IDS[i]`` is the band of ``bandId``/``band_id`` *i* in the L1C metadata (0..12).
"""
from __future__ import annotations

BAND_IDS: tuple[str, ...] = (
    "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12",
)

#: Native ground sampling distance of each band, metres.
NATIVE_RESOLUTION_M: dict[str, int] = {
    "B01": 60, "B02": 10, "B03": 10, "B04": 10, "B05": 20, "B06": 20, "B07": 20,
    "B08": 10, "B8A": 20, "B09": 60, "B10": 60, "B11": 20, "B12": 20,
}

RESOLUTIONS_M: tuple[int, ...] = (10, 20, 60)

#: Pixels per side of a full 109.8 km tile at each resolution.
TILE_SIZE_PX: dict[int, int] = {10: 10980, 20: 5490, 60: 1830}

#: Reflectance bands written to the L2A product at each resolution (config facts §5.3).
L2A_BANDS: dict[int, tuple[str, ...]] = {
    10: ("B02", "B03", "B04", "B08"),
    20: ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B11", "B12"),
    60: ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B09", "B11", "B12"),
}


def band_index(band: str) -> int:
    """Index 0..12 of ``band`` as used by ``bandId`` in the metadata."""
    try:
        return BAND_IDS.index(band)
    except ValueError:
        raise ValueError(f"unknown Sentinel-2 band {band!r}; expected one of {', '.join(BAND_IDS)}") from None
