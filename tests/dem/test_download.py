"""DEM download from a local HTTP server: success, HTTP errors, truncation, silence, concurrency."""

from __future__ import annotations

import threading
import time
import zipfile

import pytest

from sen2cor.dem.download import check_geocell_file, fetch, join_url
from sen2cor.errors import DemError
from tests.dem.conftest import http_server, silent_server


@pytest.fixture
def served(tmp_path):
    """A served folder with one valid zip (~100 kB of poorly compressible data)."""
    root = tmp_path / "server"
    root.mkdir()
    payload = bytes(range(256)) * 400
    with zipfile.ZipFile(root / "srtm_38_03.zip", "w") as archive:
        archive.writestr("srtm_38_03.tif", payload)
    return root


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith((".part", ".lock")))


def test_join_url_ignores_trailing_blanks():
    assert join_url("https://copernicus-dem-90m.s3.eu-central-1.amazonaws.com/ ", "a/b.tif") == (
        "https://copernicus-dem-90m.s3.eu-central-1.amazonaws.com/a/b.tif"
    )
    assert join_url("http://host/dem", "srtm_38_03.zip") == "http://host/dem/srtm_38_03.zip"


def test_fetch_writes_the_file_atomically(served, tmp_path):
    target = tmp_path / "dem" / "srtm_38_03.zip"
    with http_server(served) as (url, server):
        assert fetch(url + "srtm_38_03.zip", target, timeout_s=5) == target
        assert target.read_bytes() == (served / "srtm_38_03.zip").read_bytes()
        fetch(url + "srtm_38_03.zip", target, timeout_s=5)  # present: not fetched again
        assert server.requests == ["/srtm_38_03.zip"]
    assert leftovers(target.parent) == []


@pytest.mark.parametrize("status", ["404", "500"])
def test_http_errors_name_the_url_and_status(served, tmp_path, status):
    target = tmp_path / "dem" / "srtm_38_03.zip"
    expected = rf"srtm_38_03.zip: HTTP {status}"
    with http_server(served, mode=status) as (url, _), pytest.raises(DemError, match=expected):
        fetch(url + "srtm_38_03.zip", target, timeout_s=5)
    assert not target.exists() and leftovers(target.parent) == []


def test_truncated_body_with_content_length(served, tmp_path):
    target = tmp_path / "srtm_38_03.zip"
    with http_server(served, mode="truncated") as (url, _), pytest.raises(DemError, match="truncated"):
        fetch(url + "srtm_38_03.zip", target, timeout_s=5)
    assert not target.exists() and leftovers(tmp_path) == []


def test_truncated_body_without_content_length_fails_the_zip_check(served, tmp_path):
    target = tmp_path / "srtm_38_03.zip"
    server = http_server(served, mode="truncated_nolength")
    with server as (url, _), pytest.raises(DemError, match="not a valid zip"):
        fetch(url + "srtm_38_03.zip", target, timeout_s=5)
    assert not target.exists()


def test_server_that_never_answers_times_out(tmp_path):
    target = tmp_path / "srtm_38_03.zip"
    start = time.monotonic()
    with silent_server() as url, pytest.raises(DemError, match="srtm_38_03.zip"):
        fetch(url + "srtm_38_03.zip", target, timeout_s=0.3)
    assert time.monotonic() - start < 5
    assert not target.exists() and leftovers(tmp_path) == []


def test_non_http_reference_is_refused(tmp_path):
    with pytest.raises(DemError, match="only http"):
        fetch("ftp://example.invalid/srtm_38_03.zip", tmp_path / "x.zip")


def test_parallel_fetches_share_one_download(served, tmp_path):
    """Processes sharing DEM_Directory: the lock file makes the second one wait for the first."""
    target = tmp_path / "dem" / "srtm_38_03.zip"
    results, errors = [], []

    def worker():
        try:
            results.append(fetch(url + "srtm_38_03.zip", target, timeout_s=5, lock_wait_s=10))
        except DemError as exc:
            errors.append(exc)

    with http_server(served, delay_s=0.3) as (url, server):
        threads = [threading.Thread(target=worker) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=15)
        assert server.requests == ["/srtm_38_03.zip"]
    assert errors == [] and results == [target] * 3
    assert zipfile.ZipFile(target).testzip() is None and leftovers(target.parent) == []


def test_stale_lock_is_bounded(served, tmp_path):
    target = tmp_path / "srtm_38_03.zip"
    (tmp_path / "srtm_38_03.zip.lock").write_text("12345\n")  # left behind by a killed process
    start = time.monotonic()
    with http_server(served) as (url, _):
        fetch(url + "srtm_38_03.zip", target, timeout_s=5, lock_wait_s=0.3)
    assert target.is_file() and time.monotonic() - start < 5


def test_unreadable_raster_is_rejected(tmp_path):
    bad = tmp_path / "Copernicus_DSM_COG_30_N45_00_E006_00_DEM.tif"
    bad.write_bytes(b"II*\x00" + b"\x00" * 64)
    with pytest.raises(DemError, match="unreadable raster"):
        check_geocell_file(bad, ".tif")


def _fetch_in_child(url, target):
    fetch(url, target, timeout_s=5, lock_wait_s=10)


def test_parallel_processes_share_one_download(served, tmp_path):
    import multiprocessing

    context = multiprocessing.get_context("fork")
    target = tmp_path / "dem" / "srtm_38_03.zip"
    with http_server(served, delay_s=0.3) as (url, server):
        children = [
            context.Process(target=_fetch_in_child, args=(url + "srtm_38_03.zip", target)) for _ in range(2)
        ]
        for child in children:
            child.start()
        for child in children:
            child.join(timeout=20)
        assert [child.exitcode for child in children] == [0, 0]
        assert server.requests == ["/srtm_38_03.zip"]
    assert zipfile.ZipFile(target).testzip() is None and leftovers(target.parent) == []
