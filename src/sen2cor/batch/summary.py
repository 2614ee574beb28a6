"""The record of each product of a batch, the console table and ``batch_summary.csv`` / ``.json``.

Both files are written into the output folder (the current folder when ``--output_dir`` is not given)
under a temporary name and renamed, so a reader never sees half a summary; a re-run replaces them.
"""
from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

#: ProductRecord.status values. "processed", "already_processed" and "created" count as success.
PENDING, RUNNING, FAILED, INTERRUPTED = "pending", "running", "failed", "interrupted"
SUCCESS = ("processed", "already_processed", "created")

CSV_NAME, JSON_NAME = "batch_summary.csv", "batch_summary.json"


@dataclass(frozen=True)
class ProductRecord:
    """One product of the batch as the summary shows it (times in s, memory in MiB, AOT unitless, WV in cm)."""

    product: str
    status: str = PENDING
    output: str | None = None
    error: str | None = None
    wall_time_s: float | None = None     # on the worker, including unpacking an archive
    peak_rss_mib: float | None = None    # peak resident memory of the worker process during the run
    cloud_percent: float | None = None   # CLOUDY_PIXEL_PERCENTAGE
    aot: float | None = None             # GRANULE_MEAN_AOT
    wv: float | None = None              # GRANULE_MEAN_WV (cm)
    aot_method: str | None = None
    attempts: int = 0
    cpu_time_s: float | None = None
    input: str | None = None
    report: str | None = None
    worker: str | None = None            # host:pid of the worker process of the last attempt

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCESS

    def updated(self, **changes: object) -> ProductRecord:
        return replace(self, **changes)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ProductRecord:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


COLUMNS = tuple(f.name for f in fields(ProductRecord))


def write_summary(records: Sequence[ProductRecord], folder: Path, batch: Mapping[str, object]) -> tuple[Path, Path]:
    """Write ``batch_summary.csv`` (one row per product) and ``batch_summary.json`` (``batch``: what ran and
    how it ended; ``products``: the same rows); returns both paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: ("" if v is None else v) for k, v in asdict(record).items()})
    csv_path = _write_atomic(folder / CSV_NAME, text.getvalue())
    document = {"batch": dict(batch), "products": [asdict(r) for r in records]}
    json_path = _write_atomic(folder / JSON_NAME, json.dumps(document, indent=2, default=str) + "\n")
    return csv_path, json_path


def read_summary(path: Path) -> list[ProductRecord]:
    """Records of a ``batch_summary.json``."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return [ProductRecord.from_dict(row) for row in document["products"]]


def counts(records: Sequence[ProductRecord]) -> dict[str, int]:
    """Number of products per status."""
    result: dict[str, int] = {}
    for record in records:
        result[record.status] = result.get(record.status, 0) + 1
    return result


def format_table(records: Sequence[ProductRecord], width: int = 120) -> str:
    """Console table: product, status, wall time, peak RSS, cloud %, AOT, WV, then the error or output."""
    header = ("product", "status", "time[s]", "RSS[MiB]", "cloud%", "AOT", "WV[cm]", "output / error")
    rows = [header]
    for r in records:
        rows.append((r.product, r.status, _num(r.wall_time_s, 1), _num(r.peak_rss_mib, 0), _num(r.cloud_percent, 1),
                     _num(r.aot, 3), _num(r.wv, 2), r.error if r.error else (Path(r.output).name if r.output else "")))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [row[i].rjust(widths[i]) for i in range(2, len(header) - 1)]
        line = "  ".join(cells) + "  " + row[-1]
        lines.append(line if len(line) <= width or row is header else line[: width - 1] + "…")
    return "\n".join(lines)


def _num(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _write_atomic(path: Path, text: str) -> Path:
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return path
