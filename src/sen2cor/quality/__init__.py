"""Quality indicators of an L2A run and the L2A_QUALITY.xml report (issue 9 item 2; config facts §6.4).

    from sen2cor.quality import compute_indicators, write_quality, AerosolRetrieval
    qi = compute_indicators(scl20, aot_dn=aot20, wvp_dn=wvp20, mean_sun_zenith_deg=57.8, ...)
    write_quality(layout_or_root, qi)     # QI_DATA/L2A_QUALITY.xml + Image_Content_QI of the metadata

See docs/quality.md.
"""

from sen2cor.quality.indicators import (
    DU_PER_KG_M2,
    NOT_COMPUTED,
    AerosolRetrieval,
    QualityIndicators,
    atmosphere_indicators,
    aux_indicators,
    compute_indicators,
    granule_mean,
    negative_boa_percentages,
    ozone_indicator,
    scene_indicators,
)
from sen2cor.quality.report import (
    build_quality_report,
    read_quality_values,
    update_tile_indicators,
    write_quality,
    write_quality_report,
)

__all__ = [
    "DU_PER_KG_M2",
    "NOT_COMPUTED",
    "AerosolRetrieval",
    "QualityIndicators",
    "atmosphere_indicators",
    "aux_indicators",
    "build_quality_report",
    "compute_indicators",
    "granule_mean",
    "negative_boa_percentages",
    "ozone_indicator",
    "read_quality_values",
    "scene_indicators",
    "update_tile_indicators",
    "write_quality",
    "write_quality_report",
]
