"""Scene classification: classic (Sen2Cor 2.9) and evolution (2.10+) algorithms, SCL and probabilities.

Public entry points::

    from sen2cor.sceneclass import classify, SceneAux, CloudThresholds, EvolutionOptions, SCL
    result = classify(toa, SceneAux(resolution_m=20, sun_zenith_deg=..., sun_azimuth_deg=...))
    result.scl, result.msk_cldprb(), result.msk_snwprb(), result.percentages()
"""
from sen2cor.sceneclass.classic import SceneAux, SceneClassification, classify_classic
from sen2cor.sceneclass.classify import classify
from sen2cor.sceneclass.evolution import EvolutionOptions, classify_evolution
from sen2cor.sceneclass.grids import block_mean_uint8, output_maps, probability_percent, scl_to_60m, upsample_nearest
from sen2cor.sceneclass.percentages import class_percentages
from sen2cor.sceneclass.thresholds import SCL, CloudThresholds

__all__ = [
    "SCL", "EvolutionOptions", "SceneAux", "SceneClassification", "CloudThresholds", "block_mean_uint8",
    "class_percentages", "classify", "classify_classic", "classify_evolution", "output_maps", "probability_percent",
    "scl_to_60m", "upsample_nearest",
]
