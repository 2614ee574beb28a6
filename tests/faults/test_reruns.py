"""sen2cor.run.reruns: already-processed products and stale temporaries, on hand-built product folders."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from sen2cor.product.publishing import LOCK_NAME, filesystem_type, newest_change_s, reserve
from tests.faults.helpers import abandon
from sen2cor.run.reruns import (
    atmospheric_correction_enabled,
    find_completed_run,
    remove_stale_temporaries,
)

L1C = "S2A_MSIL1C_20221005T114533_N0510_R023_T29UNU_20221005T133546.SAFE"
L2A_OLD = "S2A_MSIL2A_20221005T114533_N9999_R023_T29UNU_20261121T100000.SAFE"
L2A_NEW = "S2A_MSIL2A_20221005T114533_N0511_R023_T29UNU_20261121T110000.SAFE"
OTHER_TILE = "S2A_MSIL2A_20221005T114533_N9999_R023_T29UNV_20261121T120000.SAFE"
GRANULE = "GRANULE/L2A_T29UNU_A038058_20221005T114821"


def make_l2a(root: Path, name: str, resolutions: tuple[int, ...], ac_enabled: bool | None = None) -> Path:
    """An L2A folder with the AOT image of each resolution (Sen2Cor's "processed" test) and, optionally,
    an L2A_QUALITY.xml recording AC_ENABLED."""
    product = root / name
    for res in resolutions:
        folder = product / GRANULE / "IMG_DATA" / f"R{res}m"
        folder.mkdir(parents=True)
        (folder / f"T29UNU_20221005T114533_AOT_{res}m.jp2").write_bytes(b"\0")
    (product / GRANULE / "QI_DATA").mkdir(parents=True, exist_ok=True)
    if ac_enabled is not None:
        (product / GRANULE / "QI_DATA" / "L2A_QUALITY.xml").write_text(
            '<L2A_Quality_File xmlns="http://gs2.esa.int/DATA_STRUCTURE/l2aqiReport"><Data_Block><report>'
            f'<checkList><check><extraValues><value name="AC_ENABLED">{ac_enabled}</value></extraValues></check>'
            '</checkList></report></Data_Block></L2A_Quality_File>', encoding="utf-8")
    return product


def abandoned(root: Path, name: str) -> Path:
    container = abandon(root / name)
    assert (container / LOCK_NAME).is_file()
    return container


def test_all_planned_resolutions_present(tmp_path):
    product = make_l2a(tmp_path, L2A_OLD, (20, 60), ac_enabled=True)
    assert find_completed_run(tmp_path, L1C, (20, 60)) == product
    assert find_completed_run(tmp_path, L1C, (60,)) == product
    assert find_completed_run(tmp_path, L1C, (20, 10, 60)) is None      # 10 m missing


def test_name_without_safe_suffix_and_newest_product_first(tmp_path):
    make_l2a(tmp_path, L2A_OLD, (20,), ac_enabled=True)
    newer = make_l2a(tmp_path, L2A_NEW, (20,), ac_enabled=True)
    assert find_completed_run(tmp_path, L1C.removesuffix(".SAFE"), (20,)) == newer


def test_other_tile_and_hidden_temporaries_do_not_count(tmp_path):
    make_l2a(tmp_path, OTHER_TILE, (20,), ac_enabled=True)
    make_l2a(tmp_path / f".{L2A_OLD}.tmp", L2A_OLD, (20,), ac_enabled=True)
    assert find_completed_run(tmp_path, L1C, (20,)) is None


def test_sc_only_product_does_not_satisfy_a_corrected_run(tmp_path):
    product = make_l2a(tmp_path, L2A_OLD, (20, 60), ac_enabled=False)
    assert atmospheric_correction_enabled(product) is False
    assert find_completed_run(tmp_path, L1C, (20,), atmospheric_correction=True) is None
    assert find_completed_run(tmp_path, L1C, (20,), atmospheric_correction=False) == product
    assert find_completed_run(tmp_path, L1C, (20,), same_mode=False) == product   # Sen2Cor's rule


def test_product_without_quality_report_counts_as_in_sen2cor(tmp_path):
    product = make_l2a(tmp_path, L2A_OLD, (20,))
    assert atmospheric_correction_enabled(product) is None
    assert find_completed_run(tmp_path, L1C, (20,), atmospheric_correction=False) == product


def test_missing_output_dir_or_empty_plan(tmp_path):
    assert find_completed_run(tmp_path / "absent", L1C, (20,)) is None
    make_l2a(tmp_path, L2A_OLD, (20,), ac_enabled=True)
    assert find_completed_run(tmp_path, L1C, ()) is None


def test_stale_temporary_of_a_dead_process_is_removed(tmp_path, caplog):
    stale = abandoned(tmp_path, L2A_OLD)
    live = reserve(tmp_path / L2A_NEW)   # held by this process
    final = make_l2a(tmp_path, "S2A_MSIL2A_20221005T114533_N9999_R023_T29UNU_20261121T090000.SAFE", (20,))
    with caplog.at_level("INFO"):
        assert remove_stale_temporaries(tmp_path) == [stale]
    assert not stale.exists() and live.container.is_dir() and final.is_dir()
    assert f"removed the temporary folder {stale.name} left by an interrupted run (host=" in caplog.text
    assert [p.name for p in tmp_path.iterdir() if ".stale-" in p.name] == []
    live.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == [final.name]


def test_stale_temporary_with_our_own_pid_is_removed(tmp_path):
    """Process-id reuse (containers: every run is PID 1): the lock file names this very process id, but
    its lock is free, so the folder is stale."""
    stale = abandoned(tmp_path, L2A_OLD)
    (stale / LOCK_NAME).write_text(f"host=x pid={os.getpid()} started=2026-01-01T00:00:00Z\n")
    assert remove_stale_temporaries(tmp_path) == [stale]


def test_name_is_reserved_once(tmp_path):
    first = reserve(tmp_path / L2A_OLD)
    assert first is not None and reserve(tmp_path / L2A_OLD) is None   # held, also within one process
    first.discard()
    second = reserve(tmp_path / L2A_OLD)
    assert second is not None
    assert second.publish() == tmp_path / L2A_OLD
    assert reserve(tmp_path / L2A_OLD) is None                          # the product exists
    assert sorted(p.name for p in tmp_path.iterdir()) == [L2A_OLD]


def test_recently_changed_temporary_is_kept_under_an_age_limit(tmp_path):
    stale = abandoned(tmp_path, L2A_OLD)
    changed = newest_change_s(stale)
    assert remove_stale_temporaries(tmp_path, min_age_s=3600.0, now_s=changed + 10.0) == []
    assert stale.is_dir()
    assert remove_stale_temporaries(tmp_path, min_age_s=3600.0, now_s=changed + 3601.0) == [stale]


def test_newest_change_looks_inside(tmp_path):
    folder = tmp_path / "t"
    (folder / "a").mkdir(parents=True)
    inner = folder / "a" / "f"
    inner.write_text("x")
    os.utime(folder, (1000.0, 1000.0))
    os.utime(folder / "a", (1000.0, 1000.0))
    os.utime(inner, (5000.0, 5000.0))
    assert newest_change_s(folder) == pytest.approx(5000.0)


def test_filesystem_type_from_proc_mounts():
    if not Path("/proc/mounts").is_file():
        pytest.skip("/proc/mounts not available on this system")
    assert filesystem_type(Path("/proc/self")) == "proc"


def test_missing_output_dir_has_no_temporaries(tmp_path):
    assert remove_stale_temporaries(tmp_path / "absent") == []
