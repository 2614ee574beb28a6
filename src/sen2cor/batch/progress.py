"""What a batch user sees while products run: a progress bar on a terminal, plain lines elsewhere.

The bar (one line, redrawn in place) counts products done / running / failed of the total with the
elapsed time and an estimate of the time left; finished and failed products are printed as lines above
it. Without a terminal (log files, cluster jobs) every finished product is one line, and a status line
with the same counts follows every :data:`STATUS_EVERY_S` seconds.

The estimate: the products still to process (those found already processed are left out) times the
mean wall time of the products processed so far, divided by the number of products running at once;
a running product counts with its Progress[%] fraction.
"""
from __future__ import annotations

import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TextIO

from sen2cor.batch.summary import FAILED, ProductRecord

STATUS_EVERY_S = 60.0
BAR_CELLS = 24


@dataclass
class _Running:
    started: float
    percent: float = 0.0
    step: str = ""


@dataclass
class BatchProgress:
    """Counts and display of one batch; the event callbacks may come from another thread."""

    total: int
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    bar: bool | None = None            # None: a bar when ``stream`` is a terminal
    now: object = time.monotonic       # clock, replaceable in tests
    workers: int = 1

    def __post_init__(self) -> None:
        if self.bar is None:
            self.bar = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = self.now()
        self.done = self.failed = self.skipped = 0
        self.durations: list[float] = []
        self.running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._last_status = self.started
        self._drawn = False

    # ------------------------------------------------------------------ events
    def product_started(self, product: str) -> None:
        with self._lock:
            self.running[product] = _Running(self.now())

    def product_progress(self, product: str, percent: float, step: str) -> None:
        with self._lock:
            state = self.running.setdefault(product, _Running(self.now()))
            state.percent, state.step = percent, step

    def product_retried(self, product: str, reason: str) -> None:
        with self._lock:
            self.running.pop(product, None)
        self._line(f"RETRY  {product}: {reason}")

    def product_finished(self, record: ProductRecord) -> None:
        with self._lock:
            self.running.pop(record.product, None)
            if record.status == FAILED:
                self.failed += 1
            elif record.status == "already_processed":
                self.skipped += 1
            else:
                self.done += 1
                if record.wall_time_s is not None:
                    self.durations.append(record.wall_time_s)
            finished = self.done + self.failed + self.skipped
        if record.status == FAILED:
            text = f"FAILED {record.product}: {record.error}"
        else:
            extra = ", ".join(p for p in (
                f"{record.wall_time_s:.1f} s" if record.wall_time_s is not None else "",
                f"cloud {record.cloud_percent:.1f} %" if record.cloud_percent is not None else "",
                f"AOT {record.aot:.3f}" if record.aot is not None else "",
                f"WV {record.wv:.2f} cm" if record.wv is not None else "") if p)
            text = f"{record.status.upper().replace('_', ' ')} {record.product}" + (f" ({extra})" if extra else "")
        self._line(f"[{finished}/{self.total}] {text}")

    # ------------------------------------------------------------------ display
    def status(self) -> str:
        """``3/8 done (1 already processed), 2 running, 1 failed | elapsed 0:01:23 | ETA 0:02:10``."""
        with self._lock:
            elapsed = self.now() - self.started
            finished = self.done + self.failed + self.skipped
            eta = self._eta()
            text = (f"{finished}/{self.total} done"
                    + (f" ({self.skipped} already processed)" if self.skipped else "")
                    + f", {len(self.running)} running, {self.failed} failed | elapsed {_hms(elapsed)}"
                    + f" | ETA {_hms(eta) if eta is not None else '--:--'}")
            fraction = (finished + sum(r.percent / 100.0 for r in self.running.values())) / max(1, self.total)
        if not self.bar:
            return text
        filled = int(round(BAR_CELLS * min(1.0, fraction)))
        return f"[{'#' * filled}{'.' * (BAR_CELLS - filled)}] {text}"

    def tick(self) -> None:
        """Redraw the bar (terminal), or print the status line when it is due (plain output)."""
        if self.bar:
            self._draw()
        elif self.now() - self._last_status >= STATUS_EVERY_S:
            self._last_status = self.now()
            self._write(f"progress: {self.status()}\n")

    def close(self) -> None:
        """Final status (the bar is left on its own line)."""
        if self.bar:
            self._draw()
            self._write("\n")
            self._drawn = False
        else:
            self._write(f"progress: {self.status()}\n")

    # ------------------------------------------------------------------ internals
    def _eta(self) -> float | None:
        remaining = self.total - self.done - self.failed - self.skipped
        if remaining <= 0:
            return 0.0
        if not self.durations:
            return None
        mean_s = sum(self.durations) / len(self.durations)
        left = remaining - sum(r.percent / 100.0 for r in self.running.values())
        return max(0.0, left) * mean_s / max(1, self.workers, len(self.running))

    def _line(self, text: str) -> None:
        if self.bar and self._drawn:
            self._write("\r\x1b[2K")
        self._write(text + "\n")
        if self.bar:
            self._draw()

    def _draw(self) -> None:
        width = shutil.get_terminal_size((120, 20)).columns
        line = self.status()
        if len(line) >= width:
            line = line[: width - 1]
        self._write("\r\x1b[2K" + line)
        self._drawn = True

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass


def _hms(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
