#!/usr/bin/env bash
# Set up (idempotent), generate the built-in demo L1C product and run L2A_Process on it.
# Usage: bash scripts/demo.sh [OUTPUT_DIR [L2A_Process options, e.g. --cog --stac]]   (default: ./demo_output)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
OUT="$(realpath -m "${1:-$ROOT/demo_output}")"
exec "${SEN2COR_VENV:-$ROOT/.venv}/bin/python" -m sen2cor.testing.demo "$OUT" "${@:2}"
