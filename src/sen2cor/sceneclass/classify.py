"""The entry point of the scene classification: the evolution algorithm (Sen2Cor >= 2.10, default) or the
classic one (``--sc_classic``)."""
from __future__ import annotations

import logging
from typing import Mapping

import numpy as np

from sen2cor.sceneclass.classic import SceneAux, SceneClassification, classify_classic
from sen2cor.sceneclass.evolution import EvolutionOptions, classify_evolution
from sen2cor.sceneclass.thresholds import SCL, CloudThresholds

log = logging.getLogger(__name__)


def classify(toa: Mapping[str, np.ndarray], aux: SceneAux, thresholds: CloudThresholds | None = None, *,
             classic: bool = False, options: EvolutionOptions | None = None,
             median_filter_px: int = 0) -> SceneClassification:
    """Scene classification: the evolution algorithm (default) or the classic one (``--sc_classic``).

    ``options`` is an :class:`sen2cor.sceneclass.evolution.EvolutionOptions` (ignored when classic).
    """
    if classic:
        result = classify_classic(toa, aux, thresholds, median_filter_px)
    else:
        result = classify_evolution(toa, aux, thresholds, options, median_filter_px)
    counts = np.bincount(result.scl.ravel())          # SCL codes are 0-11
    log.info("scene classification (%s): class counts %s", result.algorithm,
             {SCL(k).name: int(v) for k, v in enumerate(counts) if v})
    return result
