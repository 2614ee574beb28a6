#!/usr/bin/env bash
# Idempotent set-up on Debian 12 / Python 3.11 (run as root or with sudo available):
#   system GDAL + OpenJPEG (+ gfortran runtime for 6S) through apt-get when missing,
#   a virtual environment in .venv, GDAL's Python bindings built against the system
#   library (numpy first, --no-build-isolation, no cache), then this project (editable) with its
#   extras test (pytest, ruff, rio-cogeo, odc-stac), luts (6S), batch + hpc (dask) and stac (stactools-sentinel2).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SEN2COR_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

need_apt=()
command -v gdal-config >/dev/null 2>&1 || need_apt+=(libgdal-dev gdal-bin)
ldconfig -p 2>/dev/null | grep -q libopenjp2.so.7 || need_apt+=(libopenjp2-7)
ldconfig -p 2>/dev/null | grep -q libgfortran.so.5 || need_apt+=(libgfortran5)
"$PY" -c "import venv, ensurepip" >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "setup: installing system packages: ${need_apt[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
VPY="$VENV/bin/python"
STAMP="$VENV/.sen2cor-setup"
WANT="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)-$(gdal-config --version)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && "$VPY" -c "import sen2cor, osgeo.gdal_array" 2>/dev/null; then
    exit 0
fi
echo "setup: installing Python packages into $VENV (first run builds GDAL's bindings, a few minutes)"
"$VPY" -m pip install -q --upgrade pip setuptools wheel
"$VPY" -m pip install -q "numpy>=1.24,<2.3"
if ! "$VPY" -c "import osgeo.gdal_array" 2>/dev/null; then
    "$VPY" -m pip install -q --no-build-isolation --no-cache-dir "gdal==$(gdal-config --version)"
fi
"$VPY" -m pip install -q -e "$ROOT[test,luts,batch,hpc,stac,mutation]"
"$VPY" -c "import osgeo.gdal_array, glymur, tables, distributed, dask_jobqueue, stactools.sentinel2; assert glymur.version.openjpeg_version >= '2.3', glymur.version.openjpeg_version"
echo "$WANT" > "$STAMP"
