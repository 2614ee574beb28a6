"""AUX_ECMWFT / AUX_CAMSFO GRIB reading through GDAL on the real files of the official L2A products."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from sen2cor.errors import ProductReadError
from sen2cor.l1c import read_grib
from tests.conftest import REAL, shared_params, shared_path

ECMWFT = shared_params(sorted(REAL.glob("l2a/*/GRANULE/*/AUX_DATA/AUX_ECMWFT")), "L2A AUX_ECMWFT files")
CAMSFO = shared_params(sorted(REAL.glob("l2a/*/GRANULE/*/AUX_DATA/AUX_CAMSFO")), "L2A AUX_CAMSFO files")
KG_M2_PER_DU = 6.428e-3 / 300.0  # 300 DU = 6.428e-3 kg m-2 (algorithm facts B.4)


def _ids(path):
    return path.parents[3].name.split("_")[3]


@pytest.mark.parametrize("path", ECMWFT, ids=_ids)
def test_ecmwft_fields_are_physical(path):
    fields = read_grib(path)
    assert {"tcwv", "msl", "tco3"} <= set(fields)
    tcwv, msl, tco3 = fields["tcwv"], fields["msl"], fields["tco3"]
    assert (tcwv.units, msl.units, tco3.units) == ("kg m-2", "Pa", "kg m-2")
    assert tcwv.values.shape == (9, 9)
    assert np.all((tcwv.values > 0) & (tcwv.values < 80))  # kg m-2 == mm of precipitable water
    assert np.all((msl.values > 95000) & (msl.values < 105000))  # Pa
    assert np.all((tco3.values > 0.005) & (tco3.values < 0.01))  # kg m-2
    ozone_du = tco3.values / KG_M2_PER_DU
    assert np.all((ozone_du > 200) & (ozone_du < 500))
    assert not tcwv.values.flags.writeable


@pytest.mark.parametrize("path", ECMWFT, ids=_ids)
def test_grid_covers_the_tile_and_time_matches_the_sensing_day(path):
    fields = read_grib(path)
    field = fields["tcwv"]
    ulx, dx, _, uly, _, dy = field.geotransform
    assert 0 < dx < 0.5 and -0.5 < dy < 0  # ~0.13-0.2 deg cells
    assert 0.9 < 9 * dx < 2.0 and 0.9 < -9 * dy < 2.0  # ~110 km tile (+ margin) in degrees
    sensing = datetime.strptime(path.parents[3].name.split("_")[2], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    assert abs((field.valid_time - sensing).total_seconds()) < 3 * 3600
    assert field.valid_time >= field.reference_time


@pytest.mark.parametrize("path", CAMSFO, ids=_ids)
def test_cams_aerosol_depths_are_consistent(path):
    fields = read_grib(path)
    species = ("ssaod550", "duaod550", "omaod550", "bcaod550", "suaod550")
    assert {"aod550", "aod469", "aod670", "aod865", "aod1240", "z", *species} <= set(fields)
    aod550 = fields["aod550"].values
    assert np.all((aod550 > 0) & (aod550 < 5)) and fields["aod550"].units == "1"
    # the five species make up the total optical depth at 550 nm; since CAMS added nitrate and ammonium
    # (2023, not in AUX_CAMSFO) they cover only part of it (observed: 100 % in 2022, ~78 % in 2024)
    fraction = sum(fields[s].values for s in species) / aod550
    assert np.all((fraction > 0.6) & (fraction < 1.03))
    # Angstrom behaviour: optical depth decreases with wavelength at every node
    ordered = [fields[n].values for n in ("aod469", "aod550", "aod670", "aod865", "aod1240")]
    assert all(np.all(a > b) for a, b in zip(ordered, ordered[1:], strict=False))
    orography_m = fields["z"].values / 9.80665
    assert fields["z"].units == "m2 s-2" and np.all((orography_m > -50) & (orography_m < 9000))


def test_reading_grib_writes_nothing_next_to_the_file():
    path = shared_path("data", "real", "l2a")
    camsfo = sorted(path.glob("*/GRANULE/*/AUX_DATA/AUX_CAMSFO"))[0]
    before = sorted(p.name for p in camsfo.parent.iterdir())
    read_grib(camsfo)
    assert sorted(p.name for p in camsfo.parent.iterdir()) == before


def test_missing_grib_names_the_file(tmp_path):
    with pytest.raises(ProductReadError, match="AUX_ECMWFT: GRIB file is missing"):
        read_grib(tmp_path / "AUX_ECMWFT")


def test_non_grib_file_is_rejected(tmp_path):
    bad = tmp_path / "AUX_CAMSFO"
    bad.write_bytes(b"this is not GRIB data" * 10)
    with pytest.raises(ProductReadError, match="not a readable GRIB file"):
        read_grib(bad)
