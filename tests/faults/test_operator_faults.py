"""Faults of operators' real conditions (issue 19): one test per case, through ``L2A_Process`` on a small
generated product. Each failing case asserts one ERROR line naming file / element / value and cause (no
back-trace on the console), exit code 1, nothing under a final name (nor a hidden temporary) and an input
tree byte-identical afterwards. Signals and full disks are real (child processes, small tmpfs mounts;
skipped with the reason where mounting is not permitted)."""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from sen2cor.cli import main
from sen2cor.config.resources import cfg_dir
from sen2cor.dem import download
from sen2cor.run import modes
from tests.faults.cases import fault_case
from tests.faults.helpers import (
    REPO,
    band_file,
    cli_subprocess,
    leftovers,
    record,
    replace_band_image,
    tile_mtd,
    tree_digest,
    try_mount,
    umount,
)

FINAL_GLOB = "S2A_MSIL2A_*.SAFE"


def run(args: list, capsys) -> tuple[int, str]:
    """``L2A_Process args`` in-process; returns (exit code, stderr)."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    return record(code, capsys.readouterr().err)


def failed_cleanly(code: int, err: str, out: Path, *expected: str) -> None:
    """Exit 1, exactly one ERROR line holding every ``expected`` text, no back-trace, nothing in ``out``."""
    assert code == 1, err
    errors = [line for line in err.splitlines() if line.startswith(("ERROR:", "L2A_Process: error:"))]
    assert len(errors) == 1, f"expected one error line:\n{err}"
    for text in expected:
        assert text in errors[0], f"{text!r} not in {errors[0]!r}"
    assert "Traceback" not in err and 'File "' not in err and "HDF5-DIAG" not in err, err
    assert leftovers(out) == [], f"left in the output directory: {leftovers(out)}"


def edit(path: Path, pattern: str, replacement: str) -> None:
    """Replace the first match of ``pattern`` (regex) in a text file; the pattern must match."""
    text = path.read_text(encoding="utf-8")
    changed, count = re.subn(pattern, replacement, text, count=1)
    assert count == 1, f"{pattern!r} not found in {path}"
    path.write_text(changed, encoding="utf-8")


def gipp(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """A copy of the packaged L2A_GIPP.xml with textual replacements."""
    text = (cfg_dir() / "L2A_GIPP.xml").read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "L2A_GIPP_test.xml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tmpfs(tmp_path):
    """mount(size) -> a fresh tmpfs of ``size`` KiB (unmounted afterwards); skips where not permitted."""
    mounted = []

    def mount(name: str, size_kib: int) -> Path:
        point = tmp_path / name
        point.mkdir()
        reason = try_mount(["-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(point)])
        if reason is not None:
            pytest.skip(f"no small file system: {reason}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        umount(point)


# --------------------------------------------------------------------------- 1. honest success
@fault_case("two runs of one product started in the same second", "L2A product:", 0,
            "two products one second apart")
def test_runs_in_the_same_second_get_distinct_names(product, tmp_path, home):
    """Both runs see the clock at 03:04:05 (Sen2Cor's one-second naming clock); the second takes 03:04:06."""
    frozen = ("import datetime as _dt\nimport sen2cor.product.writer as _w\n"
              "class _Clock(_dt.datetime):\n    @classmethod\n    def now(cls, tz=None):\n"
              "        return _dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=_dt.UTC)\n_w.datetime = _Clock\n")
    out = tmp_path / "out"
    before = tree_digest(product)
    children = [cli_subprocess([str(product), "--cr_only", "--output_dir", str(out)], home, preamble=frozen)
                for _ in range(2)]
    results = [(child.wait(timeout=120), child.communicate()[1]) for child in children]
    for code, err in results:
        record(code, err)
        assert code == 0, err
        assert "already exists" not in err
    names = sorted(p.name for p in out.glob(FINAL_GLOB))
    assert [n[-20:] for n in names] == ["20260102T030405.SAFE", "20260102T030406.SAFE"], names
    assert leftovers(out) == names
    assert all((out / n / "manifest.safe").is_file() for n in names)
    assert sorted(re.search(r"L2A product: (\S+)", err)[1] for _, err in results) == [str(out / n) for n in names]
    assert tree_digest(product) == before


@fault_case("disk full while the manifest is written (after the processing)", "No space left on device", 1,
            "nothing; the report in $SEN2COR_HOME/log ends with the error")
def test_disk_full_while_publishing_is_a_failure_in_the_report(product, tmp_path, home, capsys, monkeypatch, tmpfs):
    """The file system fills up (a file eats the free space) just before the report copy and manifest are
    written: no success line anywhere, the report records the failure, nothing under the final name."""
    disk = tmpfs("disk", 4096)
    out = disk / "out"
    finalise = modes.finalise_product

    def fill_then_finalise(*args, **kwargs):
        with open(disk / "filler", "wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
            except OSError:
                pass
        return finalise(*args, **kwargs)

    monkeypatch.setattr(modes, "finalise_product", fill_then_finalise)
    before = tree_digest(product)
    code, err = run([product, "--cr_only", "--output_dir", out], capsys)
    failed_cleanly(code, err, out, "No space left on device")
    assert "L2A product:" not in err and "terminated successfully" not in err
    (report,) = (home / "log").glob("*_report.log")
    lines = report.read_text(encoding="utf-8").splitlines()
    assert "No space left on device" in lines[-2] and " ERROR " in lines[-2]
    assert lines[-1].endswith("Application terminated with at least one error.")
    assert not any("terminated successfully" in line for line in lines)
    assert tree_digest(product) == before


# --------------------------------------------------------------------------- 2. never write into the input
@fault_case("--output_dir inside the input product (its GRANULE/, or the .SAFE itself)", "lies inside the input", 1,
            "nothing (the input unchanged)")
@pytest.mark.parametrize("inside", ["GRANULE", "."])
def test_output_inside_the_input_is_refused(product, capsys, inside):
    before = tree_digest(product)
    out = product / inside
    code, err = run([product, "--cr_only", "--output_dir", out], capsys)
    assert code == 1, err
    assert f"--output_dir {out} lies inside the input {product}" in err
    assert tree_digest(product) == before


@fault_case("--work_dir inside the input product", "lies inside the input", 1, "nothing (the input unchanged)")
def test_work_dir_inside_the_input_is_refused(product, tmp_path, capsys):
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, "--sc_only", "--output_dir", out, "--work_dir", product / "work"], capsys)
    failed_cleanly(code, err, out, "--work_dir", str(product))
    assert tree_digest(product) == before


# --------------------------------------------------------------------------- 3. physical ranges
RANGES = [
    ("MTD_MSIL1C.xml", r"(<QUANTIFICATION_VALUE[^>]*>)10000<", r"\g<1>-10000<", "QUANTIFICATION_VALUE = -10000.0"),
    ("MTD_MSIL1C.xml", r"(<QUANTIFICATION_VALUE[^>]*>)10000<", r"\g<1>0<", "QUANTIFICATION_VALUE = 0.0"),
    ("MTD_MSIL1C.xml", r'(<SOLAR_IRRADIANCE bandId="3"[^>]*>)[^<]+<', r"\g<1>0<",
     "SOLAR_IRRADIANCE[@bandId='3'] (B04)"),
    ("MTD_MSIL1C.xml", r"<U>[^<]+</U>", "<U>NaN</U>", "Reflectance_Conversion/U = nan"),
    ("MTD_MSIL1C.xml", r"<U>[^<]+</U>", "<U>-1.0</U>", "Reflectance_Conversion/U = -1.0"),
    ("MTD_TL.xml", r"(<Zenith>\s*<COL_STEP[^>]*>5000</COL_STEP>\s*<ROW_STEP[^>]*>5000</ROW_STEP>\s*<Values_List>"
     r"\s*<VALUES>)[\d.]+", r"\g<1>NaN", "Sun_Angles_Grid/Zenith/Values_List node (row 0, column 0) = nan"),
    ("MTD_TL.xml", r"(<Mean_Sun_Angle>\s*<ZENITH_ANGLE[^>]*>)[\d.]+", r"\g<1>-58", "ZENITH_ANGLE = -58.0"),
]


@fault_case("metadata value the processing divides by / takes an angle of, out of its physical range "
            "(quantification -10000 or 0, irradiance 0, U NaN or -1, NaN in the sun zenith grid, sun zenith -58)",
            "is out of range; allowed: a finite number", 1)
@pytest.mark.parametrize("file, pattern, value, named", RANGES, ids=[r[3].split(" =")[0][-24:] + r[3][-6:]
                                                                      for r in RANGES])
def test_metadata_value_out_of_its_physical_range(product, tmp_path, capsys, file, pattern, value, named):
    path = product / file if file == "MTD_MSIL1C.xml" else tile_mtd(product)
    edit(path, pattern, value)
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, "--sc_only", "--output_dir", out], capsys)
    failed_cleanly(code, err, out, str(path), named, "is out of range; allowed: a finite number")
    assert tree_digest(product) == before


@fault_case("unknown coordinate reference system (EPSG:99999)", "not a coordinate reference system known to PROJ", 1)
def test_unknown_epsg_code(product, tmp_path, capsys):
    edit(tile_mtd(product), "EPSG:32629", "EPSG:99999")
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, "--cr_only", "--output_dir", out], capsys)
    failed_cleanly(code, err, out, "MTD_TL.xml", "HORIZONTAL_CS_CODE = 'EPSG:99999'",
                   "not a coordinate reference system known to PROJ")
    assert tree_digest(product) == before


# --------------------------------------------------------------------------- 4. signals, PID reuse, locks
def _wait_for_temporary(out: Path, child: subprocess.Popen) -> list[Path]:
    deadline = time.monotonic() + 120
    found: list[Path] = []
    while not found and child.poll() is None and time.monotonic() < deadline:
        found = list(out.glob(".S2A_MSIL2A_*.SAFE.tmp")) if out.exists() else []
        time.sleep(0.002)
    return found


@fault_case("SIGTERM (timeout, docker stop, batch wall time) or SIGINT mid-run", "the unfinished output was removed",
            1)
@pytest.mark.parametrize("sig, name", [(signal.SIGTERM, "terminated (SIGTERM)"),
                                       (signal.SIGINT, "interrupted by the user (SIGINT)")])
def test_signal_mid_run_cleans_up(product, tmp_path, home, sig, name):
    out = tmp_path / "out"
    before = tree_digest(product)
    child = cli_subprocess([str(product), "--sc_only", "--output_dir", str(out)], home)
    assert _wait_for_temporary(out, child), "the run ended before it could be signalled"
    child.send_signal(sig)
    _, err = child.communicate(timeout=60)
    record(child.returncode, err)
    failed_cleanly(child.returncode, err, out, name, "the unfinished output was removed")
    (report,) = (home / "log").glob("*_report.log")
    assert report.read_text(encoding="utf-8").rstrip().endswith("terminated with at least one error.")
    assert tree_digest(product) == before


def _as_pid_1(args: list[str], home: Path) -> subprocess.Popen:
    """``L2A_Process args`` as process 1 of a new PID namespace (as in a container)."""
    code = f"import sys\nfrom sen2cor.cli import main\nsys.exit(main({args!r}))\n"
    return subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child", sys.executable, "-c", code],
                            env=dict(os.environ, SEN2COR_HOME=str(home)), cwd=str(REPO),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@fault_case("process-id reuse: a run killed as PID 1 of a container, the next run is PID 1 again",
            "removed the temporary folder", "-9, then 0", "the product of the second run")
def test_stale_temporary_is_recognised_when_the_pid_is_reused(product, tmp_path, home):
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    probe = subprocess.run(["unshare", "--pid", "--fork", sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip() != "1":
        pytest.skip(f"new PID namespaces are not permitted here: {probe.stderr.strip()[:200]}")
    out = tmp_path / "out"
    args = [str(product), "--sc_only", "--output_dir", str(out)]
    first = _as_pid_1(args, home)
    (temporary,) = _wait_for_temporary(out, first) or [None]
    first.send_signal(signal.SIGKILL)   # --kill-child: the run (PID 1 inside) is SIGKILLed with it
    record(first.wait(timeout=30), "")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and temporary is not None:
        if "pid=1 " in (temporary / ".sen2cor.lock").read_text():
            break
        time.sleep(0.01)
    assert temporary is not None and "pid=1 " in (temporary / ".sen2cor.lock").read_text()
    time.sleep(0.2)   # the killed run is gone: its lock is free
    second = _as_pid_1(args, home)
    _, err = second.communicate(timeout=120)
    record(second.returncode, err)
    assert second.returncode == 0, err
    assert f"removed the temporary folder {temporary.name} left by an interrupted run (host=" in err
    (l2a,) = out.glob(FINAL_GLOB)
    assert leftovers(out) == [l2a.name]


@fault_case("DEM download lock left by a killed run (dead holder, partial download beside it)",
            "was left by a process that no longer runs", "—", "the DEM file; no lock, no .part")
def test_stale_dem_download_lock_is_cleared_at_once(tmp_path, caplog):
    from sen2cor.dem.synthetic import serve_directory

    served = tmp_path / "server"
    served.mkdir()
    with zipfile.ZipFile(served / "srtm_35_02.zip", "w") as archive:
        archive.writestr("srtm_35_02.tif", b"elevation" * 100)
    dem_dir = tmp_path / "dem"
    dem_dir.mkdir()
    holder = ("import fcntl, os, signal\n"
              f"fd = os.open({str(dem_dir / 'srtm_35_02.zip.lock')!r}, os.O_CREAT | os.O_RDWR)\n"
              "fcntl.flock(fd, fcntl.LOCK_EX)\nos.write(fd, b'host=h pid=%d\\n' % os.getpid())\n"
              f"open({str(dem_dir / '.srtm_35_02.zip.x1y2.part')!r}, 'wb').write(b'half')\n"
              "os.kill(os.getpid(), signal.SIGKILL)\n")
    assert subprocess.run([sys.executable, "-c", holder]).returncode == -signal.SIGKILL
    lock = dem_dir / "srtm_35_02.zip.lock"
    with open(lock) as handle:   # the kernel released the dead holder's lock
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    started = time.monotonic()
    with serve_directory(served) as url, caplog.at_level("INFO"):
        path = download.fetch(url + "srtm_35_02.zip", dem_dir / "srtm_35_02.zip", timeout_s=10, lock_wait_s=600)
    record(0, caplog.text)
    assert time.monotonic() - started < 30, "waited for a dead process"
    assert path.read_bytes() == (served / "srtm_35_02.zip").read_bytes()
    assert "was left by a process that no longer runs (host=h pid=" in caplog.text
    assert "removed 1 partial download(s)" in caplog.text
    assert sorted(p.name for p in dem_dir.iterdir()) == ["srtm_35_02.zip"]


@fault_case("$SEN2COR_HOME/log exists but is read-only", "logging to the console only", 0, "the product")
def test_read_only_log_folder_is_a_warning(product, tmp_path, home, capsys, tmpfs):
    (home / "log").parent.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        log_dir = tmpfs("ro_log", 64)
        if try_mount(["-o", "remount,ro", str(log_dir)]) is not None:
            pytest.skip("read-only remount not permitted")
        (home / "log").symlink_to(log_dir)
    else:
        (home / "log").mkdir()
        (home / "log").chmod(0o555)
    out = tmp_path / "out"
    code, err = run([product, "--cr_only", "--output_dir", out], capsys)
    assert code == 0, err
    assert "WARNING: log directory" in err and "logging to the console only" in err
    (l2a,) = out.glob(FINAL_GLOB)
    assert leftovers(out) == [l2a.name]


# --------------------------------------------------------------------------- 5. messages
@fault_case("GIPP with a DOCTYPE declaring an entity", "is not allowed in a GIPP file", 1)
def test_gipp_with_a_doctype_entity(product, tmp_path, capsys):
    declaration = '<?xml version="1.0" encoding="UTF-8"?>'
    doctype = '<!DOCTYPE Level-2A_Ground_Image_Processing_Parameter [<!ENTITY lvl "INFO">]>'
    bad = gipp(tmp_path, (declaration, f"{declaration}\n{doctype}"),
               ("<Log_Level>INFO</Log_Level>", "<Log_Level>&lvl;</Log_Level>"))
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, "--cr_only", "--output_dir", out, "--GIP_L2A", bad], capsys)
    failed_cleanly(code, err, out, str(bad), "entity lvl", "is not allowed in a GIPP file")
    assert tree_digest(product) == before


@fault_case("GIPP element out of order", "is out of order", 1)
def test_gipp_element_out_of_order(product, tmp_path, capsys):
    bad = gipp(tmp_path, ("<Log_Level>INFO</Log_Level>", ""),
               ("</Nr_Threads>", "</Nr_Threads><Log_Level>INFO</Log_Level>"))
    out = tmp_path / "out"
    code, err = run([product, "--cr_only", "--output_dir", out, "--GIP_L2A", bad], capsys)
    failed_cleanly(code, err, out, str(bad), "Region_Of_Interest is out of order", "expected: Log_Level")


@fault_case("disk full during the HDF5 import (--img_database_dir or --res_database_dir on a small file system)",
            "No space left on device", 1, "nothing (the database folder empty)")
@pytest.mark.parametrize("option, suffix", [("--img_database_dir", "_imgdb.h5"), ("--res_database_dir", "_resdb.h5")])
def test_disk_full_in_the_databases(product, tmp_path, capsys, tmpfs, option, suffix):
    """Also shows that the database options are honoured: the failing file is in the folder they name."""
    databases = tmpfs("db", 64)
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, "--sc_only", "--output_dir", out, option, databases], capsys)
    failed_cleanly(code, err, out, f"database {databases}/", suffix, "No space left on device")
    assert list(databases.iterdir()) == []
    assert tree_digest(product) == before


@fault_case("--sc_only and --cr_only together", "--sc_only and --cr_only are exclusive", 1)
def test_sc_only_with_cr_only(product, tmp_path, capsys):
    out = tmp_path / "out"
    code, err = run([product, "--sc_only", "--cr_only", "--output_dir", out], capsys)
    failed_cleanly(code, err, out, "--sc_only and --cr_only are exclusive")


@fault_case('an empty path option (--output_dir "", --GIP_L2A "")', "is empty; expected a path", 1,
            "nothing (not even in the current directory)")
@pytest.mark.parametrize("option", ["--output_dir", "--GIP_L2A", "--work_dir"])
def test_empty_path_option(product, tmp_path, capsys, monkeypatch, option):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    code, err = run([product, "--cr_only", option, ""], capsys)
    failed_cleanly(code, err, cwd, f"{option} is empty; expected a path")


@fault_case("--GIP_L2A naming a folder", "is a directory; expected a GIPP file", 1)
def test_gipp_option_naming_a_folder(product, tmp_path, capsys):
    out = tmp_path / "out"
    code, err = run([product, "--cr_only", "--output_dir", out, "--GIP_L2A", tmp_path], capsys)
    failed_cleanly(code, err, out, f"--GIP_L2A: {tmp_path} is a directory; expected a GIPP file")


@fault_case("a band path that is a directory", "directories, expected JPEG 2000 files", 1)
def test_band_that_is_a_directory(product, tmp_path, capsys):
    band = band_file(product, "B05")
    band.unlink()
    band.mkdir()
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, "--sc_only", "--output_dir", out], capsys)
    failed_cleanly(code, err, out, f"B05 ({band})", "directories, expected JPEG 2000 files")
    assert tree_digest(product) == before


@fault_case("IMAGE_FILE path with ../ (reading outside the product)", "lies outside the product", 1)
def test_image_file_outside_the_product_is_refused(product, tmp_path, capsys):
    shutil.copy(band_file(product, "B05"), tmp_path / "elsewhere_B05.jp2")
    edit(product / "MTD_MSIL1C.xml", r"GRANULE/[^<]*_B05<", "GRANULE/../../../elsewhere_B05<")
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, "--sc_only", "--output_dir", out], capsys)
    failed_cleanly(code, err, out, "MTD_MSIL1C.xml", "'GRANULE/../../../elsewhere_B05.jp2' lies outside the product")
    assert tree_digest(product) == before


@fault_case("--work_dir in Toolbox mode", "L2A product:", 0, "the product; --work_dir not left behind")
def test_work_dir_is_not_left_behind(product, tmp_path, capsys):
    out, work = tmp_path / "out", tmp_path / "scratch" / "work"
    code, err = run([product, "--sc_only", "--output_dir", out, "--work_dir", work], capsys)
    assert code == 0, err
    assert not (tmp_path / "scratch").exists()
    (l2a,) = out.glob(FINAL_GLOB)
    assert leftovers(out) == [l2a.name]


@fault_case("L1C without DATASTRIP/*/MTD_DS.xml", "has no DATASTRIP/<datastrip>/MTD_DS.xml", 0, "the product")
def test_missing_datastrip_metadata_names_the_product(product, tmp_path, capsys):
    (mtd_ds,) = product.glob("DATASTRIP/*/MTD_DS.xml")
    mtd_ds.unlink()
    out = tmp_path / "out"
    code, err = run([product, "--cr_only", "--output_dir", out], capsys)
    assert code == 0, err
    assert f"{product} has no DATASTRIP/<datastrip>/MTD_DS.xml" in err and " None " not in err


@fault_case("every pixel saturated (DN 65535)", ": values up to 65535 (65535: saturated)", 0, "the product")
def test_all_saturated_tile_names_the_files(product, tmp_path, capsys):
    for path in product.glob("GRANULE/*/IMG_DATA/*_B??.jp2"):
        shape = gdal.Open(str(path)).ReadAsArray().shape
        replace_band_image(path, np.full(shape, 65535, np.uint16))
    out = tmp_path / "out"
    code, err = run([product, "--sc_only", "--resolution", "20", "--output_dir", out], capsys)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if "values up to 65535" in line]
    assert warnings and all(re.match(r"WARNING: T29UNU_\w+_B\w\w_\d0m\.jp2: values up to 65535", w) for w in warnings)


@fault_case("truncated local DEM geocell (Force_Exit_On_DEM_Error TRUE / FALSE)", "is damaged or truncated", "1, 0",
            "nothing / the product on a flat surface")
@pytest.mark.parametrize("force_exit", [True, False])
def test_truncated_local_dem_tile_is_named(product, tmp_path, capsys, force_exit):
    from sen2cor.dem import grid_from_product
    from sen2cor.dem.sources import DemFormat
    from sen2cor.dem.synthetic import write_geocells_for_grid
    from sen2cor.l1c import read_l1c_product

    dem_dir = tmp_path / "dem"
    grid = grid_from_product(read_l1c_product(product), 20)
    (cell,) = write_geocells_for_grid(DemFormat.SRTM, dem_dir, grid,
                                      lambda lon, lat: np.full(np.shape(lon), 100.0), samples_per_degree=40)
    cell.write_bytes(cell.read_bytes()[: cell.stat().st_size // 2])
    settings = gipp(tmp_path, ("<DEM_Directory>NONE</DEM_Directory>", f"<DEM_Directory>{dem_dir}</DEM_Directory>"),
                    ("<Force_Exit_On_DEM_Error>TRUE</Force_Exit_On_DEM_Error>",
                     f"<Force_Exit_On_DEM_Error>{'TRUE' if force_exit else 'FALSE'}</Force_Exit_On_DEM_Error>"))
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, "--sc_only", "--output_dir", out, "--GIP_L2A", settings], capsys)
    if force_exit:
        failed_cleanly(code, err, out, str(cell), "is damaged or truncated")
    else:
        assert code == 0, err
        assert f"WARNING: DEM file {cell} is damaged or truncated" in err
    assert tree_digest(product) == before


@fault_case("AUX_CAMSFO missing, or not a CAMS file (AUX_ECMWFT copied in its place)", "CAMS not used", 0,
            "the product (AOT method SEN2COR_DDV or DEFAULT)")
@pytest.mark.parametrize("damage", ["missing", "wrong"])
def test_missing_or_wrong_cams_is_a_warning(product, tmp_path, capsys, damage):
    aux = tile_mtd(product).parent / "AUX_DATA"
    if damage == "missing":
        (aux / "AUX_CAMSFO").unlink()
        expected = f"WARNING: {aux}: no AUX_CAMSFO file; CAMS not used"
    else:
        shutil.copy(aux / "AUX_ECMWFT", aux / "AUX_CAMSFO")
        expected = f"WARNING: {aux / 'AUX_CAMSFO'}: AUX_CAMSFO holds no aod550 field"
    out = tmp_path / "out"
    code, err = run([product, "--resolution", "20", "--output_dir", out], capsys)
    assert code == 0, err
    assert expected in err
