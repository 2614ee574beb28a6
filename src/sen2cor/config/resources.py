"""Locate the data folders shipped with the package: cfg/ (GIPPs, XSDs), luts/, aux_data/.

In a source checkout or editable install they are the repository-root folders; in a built
wheel they are the data packages ``sen2cor.cfg``, ``sen2cor.luts`` and ``sen2cor.aux_data``
(mapped in pyproject.toml). Both are tried, the package first.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[3]


def _data_dir(name: str) -> Path:
    try:
        spec = importlib.util.find_spec(f"sen2cor.{name}")
    except ModuleNotFoundError:
        spec = None
    # A data folder with or without __init__.py (namespace package): take its first location.
    for location in (spec.submodule_search_locations or []) if spec else []:
        if Path(location).is_dir():
            return Path(location)
    candidate = _REPO_ROOT / name
    if candidate.is_dir():
        return candidate
    raise FileNotFoundError(f"sen2cor data folder '{name}' not found (looked in the package and in {_REPO_ROOT})")


def cfg_dir() -> Path:
    """Folder of the packaged GIPP templates (L2A_GIPP.xml ...) and their XSD schemas."""
    return _data_dir("cfg")


def luts_dir() -> Path:
    """Folder of the packaged radiative-transfer look-up tables."""
    return _data_dir("luts")


def aux_data_dir() -> Path:
    """Folder of auxiliary maps (ESA-CCI); users add the large files themselves."""
    return _data_dir("aux_data")
